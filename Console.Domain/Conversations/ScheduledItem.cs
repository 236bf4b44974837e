using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Conversations;

/// <summary>What a scheduled item does when its time comes.</summary>
public enum ScheduledItemKind
{
    /// <summary>Send a message to the customer, written by a member.</summary>
    Message,

    /// <summary>Remind the member who set it (a note that mentions them), nothing goes to the customer.</summary>
    Reminder,

    FollowUp,
    AppointmentReminder,
}

public enum ScheduledItemStatus { Pending, Done, Cancelled, Failed, Skipped }

/// <summary>
/// Something that happens in a conversation at a set time: "send this tomorrow at 9", "remind me on Friday". The row is
/// the truth: the scheduler's trigger only says when to look, and firing checks the row (still pending, still due), so a
/// cancelled or moved item never fires, whatever became of its trigger. The change that settles it and its effect (the
/// queued message, the reminder note) commit together, so an item fires once.
/// </summary>
public sealed class ScheduledItem : ITenantOwned
{
    public const int MaxTextLength = 4096;
    public static readonly TimeSpan MaxAhead = TimeSpan.FromDays(366);

    private ScheduledItem() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ConversationId { get; private set; }
    public ScheduledItemKind Kind { get; private set; }
    public DateTimeOffset At { get; private set; }
    public string? Text { get; private set; }
    public Guid? CreatedByMemberId { get; private set; }
    public ScheduledItemStatus Status { get; private set; }

    /// <summary>Why it failed or was skipped (a resource key's code, e.g. <c>window_closed</c>).</summary>
    public string? Outcome { get; private set; }
    public Guid? MessageId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? SettledAt { get; private set; }
    public Guid? CancelledByMemberId { get; private set; }

    /// <summary>The appointment an <see cref="ScheduledItemKind.AppointmentReminder"/> is about (moved or cancelled with it).</summary>
    public Guid? AppointmentId { get; private set; }

    public static ScheduledItem Schedule(Conversation conversation, ScheduledItemKind kind, DateTimeOffset at, string? text, Guid? memberId,
        DateTimeOffset now)
    {
        text = text?.Trim();
        if (kind is ScheduledItemKind.Message or ScheduledItemKind.Reminder && string.IsNullOrEmpty(text))
            throw new DomainException("scheduled.text", "Write what to send (or what to be reminded of).");
        if (text is { Length: > MaxTextLength })
            throw new DomainException("scheduled.text_length", $"The text is at most {MaxTextLength} characters.", MaxTextLength);
        if (at <= now) throw new DomainException("scheduled.past", "Pick a time in the future.");
        if (at > now + MaxAhead) throw new DomainException("scheduled.too_far", "Pick a time within the next year.");
        if (kind is ScheduledItemKind.Reminder && memberId is null)
            throw new DomainException("scheduled.reminder_member", "A reminder is for a member of the team.");
        return new ScheduledItem
        {
            Id = Guid.CreateVersion7(now),
            TenantId = conversation.TenantId,
            ConversationId = conversation.Id,
            Kind = kind,
            At = at.ToUniversalTime(),
            Text = text,
            CreatedByMemberId = memberId,
            Status = ScheduledItemStatus.Pending,
            CreatedAt = now,
        };
    }

    /// <summary>A reminder of an appointment, set by the workspace (no member) when it is booked or moved.</summary>
    public static ScheduledItem ForAppointment(Conversation conversation, Guid appointmentId, DateTimeOffset at, DateTimeOffset now)
    {
        if (at <= now) throw new DomainException("scheduled.past", "Pick a time in the future.");
        return new ScheduledItem
        {
            Id = Guid.CreateVersion7(now),
            TenantId = conversation.TenantId,
            ConversationId = conversation.Id,
            Kind = ScheduledItemKind.AppointmentReminder,
            At = at.ToUniversalTime(),
            AppointmentId = appointmentId,
            Status = ScheduledItemStatus.Pending,
            CreatedAt = now,
        };
    }

    public bool IsDue(DateTimeOffset now) => Status == ScheduledItemStatus.Pending && At <= now;

    public void Cancel(Guid? memberId, DateTimeOffset now)
    {
        if (Status != ScheduledItemStatus.Pending)
            throw new DomainException("scheduled.not_pending", "This item already ran or was cancelled.");
        Status = ScheduledItemStatus.Cancelled;
        CancelledByMemberId = memberId;
        SettledAt = now;
    }

    public void Done(Guid? messageId, DateTimeOffset now) => Settle(ScheduledItemStatus.Done, null, now, messageId);

    public void Fail(string outcome, DateTimeOffset now) => Settle(ScheduledItemStatus.Failed, outcome, now);

    /// <summary>Too late to be useful (every node was down past its time): dropped, and said so.</summary>
    public void Skip(string outcome, DateTimeOffset now) => Settle(ScheduledItemStatus.Skipped, outcome, now);

    /// <summary>
    /// A super admin runs a failed item again: pending and due now, so the scheduler fires it through the usual checks
    /// (which may refuse it again, with the reason). False for an item that is not failed (a second retry does nothing).
    /// </summary>
    public bool RetryFailed(DateTimeOffset now)
    {
        if (Status != ScheduledItemStatus.Failed) return false;
        Status = ScheduledItemStatus.Pending;
        At = now;
        Outcome = null;
        MessageId = null;
        SettledAt = null;
        return true;
    }

    private void Settle(ScheduledItemStatus status, string? outcome, DateTimeOffset now, Guid? messageId = null)
    {
        if (Status != ScheduledItemStatus.Pending) throw new InvalidOperationException($"Scheduled item {Id} is already {Status}.");
        Status = status;
        Outcome = outcome;
        MessageId = messageId;
        SettledAt = now;
    }
}
