using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Conversations;

// What happens to a conversation and its messages, recorded by Conversation and Message as they change (set-based writes
// raise the same records). The record's name is the vocabulary live clients see as a change's reason.

/// <summary>Something happened in one conversation.</summary>
public abstract record ConversationDomainEvent(Guid TenantId, Guid ConversationId) : IDomainEvent;

public sealed record ConversationStarted(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>A customer's message (or reaction) was stored.</summary>
public sealed record MessageReceived(Guid TenantId, Guid ConversationId, Guid MessageId) : ConversationDomainEvent(TenantId, ConversationId)
{
    /// <summary>The message's channel (the platform's message counts are by channel).</summary>
    public Guid ChannelId { get; init; }
}

/// <summary>A message sent from another app of the business (an echo we did not send) was stored.</summary>
public sealed record MessageEchoed(Guid TenantId, Guid ConversationId, Guid MessageId) : ConversationDomainEvent(TenantId, ConversationId)
{
    /// <summary>The message's channel (the platform's message counts are by channel).</summary>
    public Guid ChannelId { get; init; }
}

/// <summary>A reply was queued for sending (by a person, the bot or the API).</summary>
public sealed record OutboundMessageQueued(Guid TenantId, Guid ConversationId, Guid MessageId) : ConversationDomainEvent(TenantId, ConversationId)
{
    /// <summary>The message's channel (the platform's message counts are by channel).</summary>
    public Guid ChannelId { get; init; }
}

/// <summary>A queued reply left: accepted by the channel, set to retry, or failed for good.</summary>
public sealed record OutboundMessageAttempted(Guid TenantId, Guid ConversationId, Guid MessageId, DeliveryStatus Status)
    : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>The channel reported delivery or reading (or a failure) of a message.</summary>
public sealed record MessageStatusChanged(Guid TenantId, Guid ConversationId, Guid MessageId, DeliveryStatus Status)
    : ConversationDomainEvent(TenantId, ConversationId);

public sealed record MessageDeletedByCustomer(Guid TenantId, Guid ConversationId, Guid MessageId) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>A message's media was fetched, refused, or failed to arrive.</summary>
public sealed record MessageMediaSettled(Guid TenantId, Guid ConversationId, Guid MessageId, MediaState State)
    : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationRead(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationTakenOver(Guid TenantId, Guid ConversationId, Guid? MemberId) : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationAssigned(Guid TenantId, Guid ConversationId, Guid MemberId) : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationHandedOff(Guid TenantId, Guid ConversationId, HandoffReason Reason, HandoffPriority Priority)
    : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationHandedBack(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationResolved(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationReopened(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationSnoozed(Guid TenantId, Guid ConversationId, DateTimeOffset Until) : ConversationDomainEvent(TenantId, ConversationId);

public sealed record ConversationWoke(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>A waiting handoff passed its SLA and moved up a priority level.</summary>
public sealed record HandoffEscalated(Guid TenantId, Guid ConversationId, HandoffPriority Priority) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>A person at the business answered from another app: the bot is silent for this conversation.</summary>
public sealed record HumanRepliedElsewhere(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>The bot was paused or resumed for the conversation's customer (by a person or a rate limit).</summary>
public sealed record ContactBotSwitched(Guid TenantId, Guid ConversationId, bool Enabled) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>An internal note was written (members it mentions are told on their screens).</summary>
public sealed record NoteAdded(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>A timeline entry that is not a state change of its own (a tool call, an agent error, a lead change).</summary>
public sealed record TimelineEntryAdded(Guid TenantId, Guid ConversationId, ConversationEventType Type) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>How an agent turn ended; <see cref="AgentTurnOutcome.Released"/> turns are due again later.</summary>
public enum AgentTurnOutcome { Answered, Silent, Skipped, Released, Dropped }

public sealed record AgentTurnEnded(Guid TenantId, Guid ConversationId, AgentTurnOutcome Outcome) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>The lead behind the conversation changed (score, stage, temperature, summary or profile).</summary>
public sealed record LeadChanged(Guid TenantId, Guid ConversationId, Guid ContactId) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>The bot was switched on or off for a whole channel (<see cref="ChannelId"/>) or the whole workspace (null).</summary>
public sealed record BotSwitched(Guid TenantId, Guid? ChannelId, bool Enabled) : IDomainEvent;

/// <summary>Labels were put on or taken off the conversation.</summary>
public sealed record ConversationLabelsChanged(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>The workspace's set of labels changed (one defined or deleted): every open inbox reloads them.</summary>
public sealed record WorkspaceLabelsChanged(Guid TenantId) : IDomainEvent;

/// <summary>A scheduled item of the conversation was added, cancelled, or ran (sent, reminded, failed, dropped).</summary>
public sealed record ScheduledItemsChanged(Guid TenantId, Guid ConversationId) : ConversationDomainEvent(TenantId, ConversationId);
