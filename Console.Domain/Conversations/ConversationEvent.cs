using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Conversations;

public enum ConversationEventType
{
    Created, Assigned, TakenOver, HandedOff, HandedBack, BotPaused, BotResumed, Resolved, Reopened, Snoozed, ToolCalled,
    LeadChanged, Note, AgentError, KnowledgeUsed,

    /// <summary>Written by the scheduler: the snooze ran out / a waiting handoff passed its SLA.</summary>
    Woke, SlaBreached,

    /// <summary>The agent booked an appointment in this conversation (data: its start).</summary>
    AppointmentBooked,

    /// <summary>A member's reminder to themselves came due (data: whom it mentions); scheduled items that failed or were dropped.</summary>
    Reminder, ScheduledFailed,

    /// <summary>An appointment changed from the conversation: the customer confirmed or cancelled from a reminder (data: a text reference).</summary>
    AppointmentChanged,
    /// <summary>The lead moved to another pipeline stage (text "from → to"; data: from, to, by, reason).</summary>
    StageChanged,

    /// <summary>The customer asked not to receive messages (data: the words, as a TextRef).</summary>
    OptedOut,
}

/// <summary>Something that happened in a conversation besides a message; shown inline in the chat panel.</summary>
public sealed class ConversationEvent : ITenantOwned
{
    private ConversationEvent() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ConversationId { get; private set; }
    public ConversationEventType Type { get; private set; }
    public Guid? ActorMemberId { get; private set; }
    public string? Text { get; private set; }

    /// <summary>Structured details as JSON (tool input/output, reasons, old/new values).</summary>
    public string? Data { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static ConversationEvent Record(Conversation conversation, ConversationEventType type, Guid? actor, string? text,
        string? data, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = conversation.TenantId,
        ConversationId = conversation.Id,
        Type = type,
        ActorMemberId = actor,
        Text = text,
        Data = data,
        CreatedAt = now,
    };
}
