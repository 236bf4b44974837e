using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Inbox;

/// <summary>The inbox's tabs. Every tab but All hides resolved conversations unless a status filter asks for them.</summary>
public enum InboxTab { All, Mine, NeedsHuman, Unassigned, Bot }

/// <summary>What the list shows. <see cref="Owner"/> is the REST API's owner=bot|human|unassigned filter.</summary>
public sealed record InboxFilter(
    InboxTab Tab = InboxTab.All,
    Guid? ChannelId = null,
    ConversationStatus? Status = null,
    LeadTemperature? Temperature = null,
    string? Search = null,
    ConversationOwner? Owner = null,
    Guid? LabelId = null);

/// <summary>One line of the conversation list. <see cref="Version"/> is the row version the commands check.</summary>
public sealed record InboxRow(
    Guid Id,
    Guid ContactId,
    string? ContactName,
    string? ContactPhone,
    Guid ChannelId,
    ConversationStatus Status,
    ConversationOwner Owner,
    Guid? AssignedMemberId,
    HandoffReason? HandoffReason,
    HandoffPriority? Priority,
    DateTimeOffset? SlaDueAt,
    DateTimeOffset? CustomerWindowExpiresAt,
    DateTimeOffset? SnoozedUntil,
    int UnreadCount,
    DateTimeOffset? LastMessageAt,
    string? LastMessagePreview,
    int Score,
    LeadTemperature Temperature,
    Guid StageId,
    bool ContactBotEnabled,
    bool AgentTurnPending,
    DateTimeOffset CreatedAt,
    uint Version)
{
    public bool NeedsHuman => Status != ConversationStatus.Resolved && (Owner == ConversationOwner.Unassigned || SlaDueAt is not null);

    /// <summary>The labels on the conversation (ids of the tenant's labels).</summary>
    public IReadOnlyList<Guid> LabelIds { get; init; } = [];

    /// <summary>When the customer started waiting for a person (the latest handoff), while the handoff SLA runs.</summary>
    public DateTimeOffset? WaitingSince { get; init; }
}

public sealed record InboxPage(IReadOnlyList<InboxRow> Items, string? NextCursor);

/// <summary>A member of the tenant as the inbox shows them (assignment, mentions).</summary>
public sealed record InboxMember(Guid MemberId, Guid UserId, string Name, TenantRole Role);

public sealed record InboxChannel(Guid Id, ChannelKind Kind, string Name, bool BotEnabled);

/// <summary>A message as the conversation timeline and the API show it (not Microsoft.Extensions.AI's ChatMessage).</summary>
public sealed record TimelineMessage(
    Guid Id,
    MessageDirection Direction,
    MessageSender Sender,
    Guid? SenderMemberId,
    MessageType Type,
    string? Body,
    string? Payload,
    string? ExternalId,
    string? ReplyToExternalId,
    DeliveryStatus Status,
    string? ErrorCode,
    string? ErrorText,
    DateTimeOffset SentAt,
    DateTimeOffset CreatedAt,
    MediaState? MediaState,
    string? MediaContentType,
    DateTimeOffset? DeletedAt,
    string? MediaText = null);

public sealed record TimelineEvent(Guid Id, ConversationEventType Type, Guid? ActorMemberId, string? Text, string? Data, DateTimeOffset CreatedAt);

public sealed record MessagePage(IReadOnlyList<TimelineMessage> Items, string? NextCursor);

/// <summary>The newest part of a conversation for the chat panel: messages and events, each oldest first.</summary>
public sealed record Timeline(IReadOnlyList<TimelineMessage> Messages, IReadOnlyList<TimelineEvent> Events, bool HasOlder);

public sealed record ContactRow(
    Guid Id,
    string? Name,
    string? PhoneE164,
    string? Email,
    string? Company,
    Guid StageId,
    string StageName,
    int Score,
    LeadTemperature Temperature,
    bool BotEnabled,
    string? Summary,
    IReadOnlyDictionary<string, string> Fields,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastSeenAt)
{
    public Guid? OwnerMemberId { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>When the customer asked not to receive automated messages; null when they did not.</summary>
    public DateTimeOffset? OptedOutAt { get; init; }
}

public sealed record ContactPage(IReadOnlyList<ContactRow> Items, string? NextCursor);

public sealed record PastConversation(Guid Id, ConversationStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? LastMessageAt, string? Preview);

/// <summary>Who is acting: a signed-in member (UI), or an integration (API key: no member).</summary>
public sealed record InboxActor(Guid TenantId, Guid? MemberId, TenantRole? Role, string Name)
{
    public bool CanManageWorkspace => Role is TenantRole.Owner or TenantRole.Admin;

    public static InboxActor Integration(Guid tenantId, string name = "API") => new(tenantId, null, TenantRole.Admin, name);
}
