using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Conversations;

public enum ConversationStatus { Open, Pending, Snoozed, Resolved }

/// <summary>Who answers: the bot, a specific human agent, or nobody yet (a human is needed but unassigned).</summary>
public enum ConversationOwner { Bot, Human, Unassigned }

public enum HandoffPriority { Normal, Urgent, Critical }

public enum HandoffReason
{
    UserRequested, UserFrustrated, AgentError, RepeatedFailures, HighValueLead, PaymentIssue, Keyword, MessageCountLimit,
    HumanReplied,
    /// <summary>The plan's AI-reply allowance is used up (and no credits are left): people answer until it renews.</summary>
    PlanLimit,
    /// <summary>The workspace's subscription stopped the bot (trial ended, payment overdue past grace, canceled).</summary>
    BillingStopped,
}

public sealed class Conversation : AggregateRoot, ITenantOwned
{
    /// <summary>The refusal codes of this aggregate; the UI shows <c>Error.{code}</c> and the API returns it as 422.</summary>
    public const string ResolvedCode = "conversation.resolved";
    public const string ResolvedHandBackCode = "conversation.resolved_hand_back";
    public const string SnoozeCode = "conversation.snooze";

    private Conversation() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ChannelId { get; private set; }
    public Guid ContactId { get; private set; }
    public ConversationStatus Status { get; private set; }
    public ConversationOwner Owner { get; private set; }
    public Guid? AssignedMemberId { get; private set; }
    public HandoffReason? HandoffReason { get; private set; }
    public HandoffPriority? Priority { get; private set; }
    public DateTimeOffset? SlaDueAt { get; private set; }
    public DateTimeOffset? CustomerWindowExpiresAt { get; private set; }
    public DateTimeOffset? SnoozedUntil { get; private set; }

    /// <summary>When set, an agent turn should run at (or after) this time. Cleared when the turn is claimed.</summary>
    public DateTimeOffset? AgentDueAt { get; private set; }

    /// <summary>The agent runner holding the due turn (one turn at a time per conversation) and until when.</summary>
    public Guid? AgentLeaseId { get; private set; }
    public DateTimeOffset? AgentLeaseUntil { get; private set; }

    /// <summary>Claims of the current due turn; a turn that keeps crashing its runner is handed to a human.</summary>
    public int AgentTurnAttempts { get; private set; }
    public int UnreadCount { get; private set; }
    public DateTimeOffset? LastMessageAt { get; private set; }
    public string? LastMessagePreview { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? ResolvedAt { get; private set; }

    /// <summary>The channel's own conversation id when replies must name it (TikTok).</summary>
    public string? ExternalThreadId { get; private set; }

    public void SetExternalThread(string? threadId)
    {
        if (!string.IsNullOrEmpty(threadId)) ExternalThreadId = threadId;
    }

    public static Conversation Start(Guid tenantId, Guid channelId, Guid contactId, DateTimeOffset now)
    {
        var conversation = new Conversation
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            ChannelId = channelId,
            ContactId = contactId,
            Status = ConversationStatus.Open,
            Owner = ConversationOwner.Bot,
            CreatedAt = now,
        };
        conversation.Record(new ConversationStarted(tenantId, conversation.Id));
        return conversation;
    }

    public static TimeSpan SlaFor(HandoffPriority priority) => priority switch
    {
        HandoffPriority.Critical => TimeSpan.FromMinutes(2),
        HandoffPriority.Urgent => TimeSpan.FromMinutes(5),
        _ => TimeSpan.FromMinutes(15),
    };

    public bool IsBotOwned => Owner == ConversationOwner.Bot;

    public bool IsResolved => Status == ConversationStatus.Resolved;

    public bool IsCustomerWindowOpen(DateTimeOffset now) => CustomerWindow.IsOpen(CustomerWindowExpiresAt, now);

    /// <summary>Whether free text may go now, from a person or the bot (see <see cref="Conversations.CustomerWindow"/>).</summary>
    public CustomerWindowState CustomerWindowFor(ChannelKind kind, bool byPerson, DateTimeOffset now) =>
        CustomerWindow.Evaluate(kind, CustomerWindowExpiresAt, byPerson, now);

    /// <summary>
    /// A customer's message: the window is measured from the channel's own timestamp, never from arrival, and its
    /// length is the channel's (<see cref="Conversations.CustomerWindow.For"/>).
    /// </summary>
    public void RecordInbound(DateTimeOffset sentAt, ChannelKind kind, bool fromAdReferral, string? preview)
    {
        var expires = sentAt + CustomerWindow.For(kind, fromAdReferral);
        if (CustomerWindowExpiresAt is null || expires > CustomerWindowExpiresAt) CustomerWindowExpiresAt = expires;
        if (LastMessageAt is null || sentAt >= LastMessageAt)
        {
            LastMessageAt = sentAt;
            LastMessagePreview = Truncate(preview);
        }
        UnreadCount++;
        if (Status is ConversationStatus.Resolved or ConversationStatus.Snoozed)
        {
            Status = ConversationStatus.Open;
            SnoozedUntil = null;
            ResolvedAt = null;
        }
    }

    public void RecordOutbound(DateTimeOffset at, string? preview)
    {
        if (LastMessageAt is null || at >= LastMessageAt)
        {
            LastMessageAt = at;
            LastMessagePreview = Truncate(preview);
        }
    }

    /// <summary>Schedules the agent turn after the buffer; a burst keeps pushing it out so one turn sees all of it.</summary>
    public void ScheduleAgentTurn(DateTimeOffset dueAt)
    {
        if (!IsBotOwned || IsResolved) return;
        AgentDueAt = dueAt;
    }

    /// <summary>
    /// A runner takes the due turn: refused (false) when nothing is due yet or another runner's lease is still live.
    /// The runners claim in bulk with SQL (<c>AgentTurnLease.ClaimDueTurnSql</c>), which implements this same rule.
    /// </summary>
    public bool ClaimAgentTurn(Guid leaseId, DateTimeOffset leaseUntil, DateTimeOffset now)
    {
        if (AgentDueAt is not { } due || due > now) return false;
        if (AgentLeaseUntil is { } until && until >= now) return false;
        AgentLeaseId = leaseId;
        AgentLeaseUntil = leaseUntil;
        AgentTurnAttempts++;
        return true;
    }

    public void ClearAgentTurn() => AgentDueAt = null;

    /// <summary>True while the given lease still owns this conversation's due turn (nobody took over, no newer message).</summary>
    public bool HoldsAgentTurn(Guid leaseId, DateTimeOffset claimedDueAt) =>
        AgentLeaseId == leaseId && AgentDueAt == claimedDueAt && IsBotOwned && !IsResolved;

    /// <summary>The turn ran (or was skipped for good): nothing is due any more. False (no change) for a lease not held.</summary>
    public bool CompleteAgentTurn(Guid leaseId, AgentTurnOutcome outcome = AgentTurnOutcome.Answered)
    {
        if (AgentLeaseId != leaseId) return false;
        AgentDueAt = null;
        AgentLeaseId = null;
        AgentLeaseUntil = null;
        AgentTurnAttempts = 0;
        Record(new AgentTurnEnded(TenantId, Id, outcome));
        return true;
    }

    /// <summary>
    /// Gives the turn back without running it, optionally due again later (the buffer is not over yet). False (no
    /// change) for a lease not held.
    /// </summary>
    public bool ReleaseAgentTurn(Guid leaseId, DateTimeOffset? dueAgainAt = null)
    {
        if (AgentLeaseId != leaseId) return false;
        AgentLeaseId = null;
        AgentLeaseUntil = null;
        if (dueAgainAt is { } due && AgentDueAt is not null) AgentDueAt = due;
        Record(new AgentTurnEnded(TenantId, Id, AgentTurnOutcome.Released));
        return true;
    }

    public void MarkRead()
    {
        if (UnreadCount == 0) return;
        UnreadCount = 0;
        Record(new ConversationRead(TenantId, Id));
    }

    /// <summary>
    /// A human takes over: the bot goes silent for this conversation and any pending turn is cancelled. Without a
    /// member (an integration through the API) the conversation is human-owned but nobody's yet.
    /// </summary>
    public void TakeOver(Guid? memberId)
    {
        if (IsResolved) throw new DomainException(ResolvedCode, "Reopen the conversation before taking it over.");
        Owner = ConversationOwner.Human;
        AssignedMemberId = memberId;
        AgentDueAt = null;
        SlaDueAt = null;
        Record(new ConversationTakenOver(TenantId, Id, memberId));
    }

    /// <summary>
    /// Someone at the business answered from another tool (an echo we did not send): a human has the conversation,
    /// so the bot goes silent until someone hands it back.
    /// </summary>
    public void HumanRepliedElsewhere()
    {
        Owner = ConversationOwner.Human;
        HandoffReason = Conversations.HandoffReason.HumanReplied;
        AgentDueAt = null;
        SlaDueAt = null;
        Record(new HumanRepliedElsewhere(TenantId, Id));
    }

    public void AssignTo(Guid memberId)
    {
        Owner = ConversationOwner.Human;
        AssignedMemberId = memberId;
        AgentDueAt = null;
        Record(new ConversationAssigned(TenantId, Id, memberId));
    }

    /// <summary>
    /// The bot (or a rule) asks for a human: nobody owns it yet, the SLA clock starts. A resolved conversation is not
    /// handed off (false, nothing changes): the customer is not waiting, and their next message starts a new one.
    /// </summary>
    public bool HandOff(HandoffReason reason, HandoffPriority priority, DateTimeOffset now)
    {
        if (IsResolved) return false;
        Owner = AssignedMemberId is null ? ConversationOwner.Unassigned : ConversationOwner.Human;
        HandoffReason = reason;
        Priority = priority;
        SlaDueAt = now + SlaFor(priority);
        AgentDueAt = null;
        if (Status != ConversationStatus.Open) Status = ConversationStatus.Open;
        Record(new ConversationHandedOff(TenantId, Id, reason, priority));
        return true;
    }

    /// <summary>
    /// Its assignee left the team: the conversation waits for a human again, keeping its reason, priority and SLA (a
    /// fresh clock when it had none), so auto-assignment gives it to the next member.
    /// </summary>
    public void ReturnToQueue(DateTimeOffset now)
    {
        if (IsResolved || AssignedMemberId is null) return;
        AssignedMemberId = null;
        Owner = ConversationOwner.Unassigned;
        var priority = Priority ?? HandoffPriority.Normal;
        SlaDueAt ??= now + SlaFor(priority);
        Record(new ConversationHandedOff(TenantId, Id, HandoffReason ?? Conversations.HandoffReason.UserRequested, priority));
    }

    /// <summary>The bot answers again. Refused on a resolved conversation, like taking it over: reopen it first.</summary>
    public void HandBackToBot()
    {
        if (IsResolved) throw new DomainException(ResolvedHandBackCode, "Reopen the conversation before handing it back to the bot.");
        Owner = ConversationOwner.Bot;
        AssignedMemberId = null;
        HandoffReason = null;
        Priority = null;
        SlaDueAt = null;
        Record(new ConversationHandedBack(TenantId, Id));
    }

    /// <summary>
    /// A super admin retries a turn that was handed to people after failing repeatedly: the bot owns the conversation
    /// again and its turn is due now with fresh attempts. False (nothing changes) once it is no longer such a handoff
    /// (retried already, resolved, or handed back by someone), so a second retry does nothing.
    /// </summary>
    public bool RetryFailedTurn(DateTimeOffset now)
    {
        if (HandoffReason != Conversations.HandoffReason.RepeatedFailures || IsBotOwned || IsResolved) return false;
        HandBackToBot();
        AgentTurnAttempts = 0;
        AgentLeaseId = null;
        AgentLeaseUntil = null;
        AgentDueAt = now;
        return true;
    }

    /// <summary>Closes the conversation. Resolving it again is a no-op (false): it keeps its first resolution time.</summary>
    public bool Resolve(DateTimeOffset now)
    {
        if (IsResolved) return false;
        Status = ConversationStatus.Resolved;
        ResolvedAt = now;
        AgentDueAt = null;
        SlaDueAt = null;
        Record(new ConversationResolved(TenantId, Id));
        return true;
    }

    public void Snooze(DateTimeOffset until, DateTimeOffset now)
    {
        if (until <= now) throw new DomainException(SnoozeCode, "Snooze until a time in the future.");
        Status = ConversationStatus.Snoozed;
        SnoozedUntil = until;
        Record(new ConversationSnoozed(TenantId, Id, until));
    }

    /// <summary>
    /// The snooze ran out (the scheduler fired for <paramref name="dueAt"/>): the conversation is open again. False, and
    /// nothing changes, when there is nothing to wake: reopened or resolved meanwhile, or snoozed again until later.
    /// </summary>
    public bool WakeFromSnooze(DateTimeOffset dueAt)
    {
        if (Status != ConversationStatus.Snoozed || SnoozedUntil is not { } until || until > dueAt) return false;
        Status = ConversationStatus.Open;
        SnoozedUntil = null;
        Record(new ConversationWoke(TenantId, Id));
        return true;
    }

    /// <summary>
    /// Nobody took the handed-off conversation before its SLA ran out (the scheduler fired for <paramref name="dueAt"/>):
    /// it moves up one priority level so the inbox puts it higher. The SLA time itself stays (it is already late, and
    /// the inbox orders by it). False when it no longer waits: taken, assigned, handed back, resolved, or handed off
    /// again with a later SLA. Once per handoff is the caller's business (it records the breach).
    /// </summary>
    public bool EscalateOverdueHandoff(DateTimeOffset dueAt)
    {
        if (Status == ConversationStatus.Resolved || Owner != ConversationOwner.Unassigned || SlaDueAt is not { } due || due > dueAt)
            return false;
        Priority = Priority switch
        {
            null or HandoffPriority.Normal => HandoffPriority.Urgent,
            _ => HandoffPriority.Critical,
        };
        Record(new HandoffEscalated(TenantId, Id, Priority.Value));
        return true;
    }

    public void Reopen()
    {
        Status = ConversationStatus.Open;
        SnoozedUntil = null;
        ResolvedAt = null;
        Record(new ConversationReopened(TenantId, Id));
    }

    private static string? Truncate(string? text) => text is { Length: > 140 } ? text[..140] : text;
}
