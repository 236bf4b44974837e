using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Conversations;

public enum MessageDirection { Inbound, Outbound }

public enum MessageSender { Contact, Bot, Agent, System }

public enum MessageType
{
    Text, Image, Video, Audio, Document, Sticker, Location, Contacts, Interactive, Button, Reaction, Order, System,
    Template, Unsupported,
}

/// <summary>Inbound media: Refused is final — the file broke a rule (host, address, size, type) and is never fetched again.</summary>
public enum MediaState { Pending, Stored, Failed, Refused }

/// <summary>
/// Delivery status of a message. The numeric order is the lifecycle order; a status never moves backwards
/// (Meta may deliver "delivered" after "read"). <see cref="Failed"/> is terminal.
/// </summary>
public enum DeliveryStatus { Received = 0, Queued = 1, Sent = 2, Delivered = 3, Read = 4, Played = 5, Failed = 9 }

public sealed class Message : AggregateRoot, ITenantOwned
{
    private Message() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ConversationId { get; private set; }
    public Guid ChannelId { get; private set; }
    public MessageDirection Direction { get; private set; }
    public MessageSender Sender { get; private set; }
    public Guid? SenderMemberId { get; private set; }
    public MessageType Type { get; private set; }
    public string? Body { get; private set; }

    /// <summary>Type-specific payload (media ids, location, buttons…) as JSON.</summary>
    public string? Payload { get; private set; }

    /// <summary>The channel's id for this message (wamid, mid, TikTok message id). Unique per channel.</summary>
    public string? ExternalId { get; private set; }
    public string? ReplyToExternalId { get; private set; }
    public DeliveryStatus Status { get; private set; }
    public string? ErrorCode { get; private set; }
    public string? ErrorText { get; private set; }

    /// <summary>When the message was sent, as the channel reports it (inbound) or when we created it (outbound).</summary>
    public DateTimeOffset SentAt { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Outbound delivery attempts so far; the dispatcher retries with backoff until it gives up.</summary>
    public int Attempts { get; private set; }

    /// <summary>Outbound: not before this time (backoff). Inbound: unused.</summary>
    public DateTimeOffset? NextAttemptAt { get; private set; }

    /// <summary>Inbound media: Pending until fetched from the channel and stored, then Stored (or Failed with the reason).</summary>
    public MediaState? MediaState { get; private set; }
    public string? MediaContentType { get; private set; }

    /// <summary>What a model understood of inbound media: a voice note's transcript or an image's description (null: none).</summary>
    public string? MediaText { get; private set; }

    /// <summary>The customer deleted (unsent) this message on their side.</summary>
    public DateTimeOffset? DeletedAt { get; private set; }

    public static Message Inbound(Conversation conversation, string externalId, MessageType type, string? body, string? payload,
        DateTimeOffset sentAt, DateTimeOffset now, string? replyTo = null)
    {
        var message = new Message
        {
            Id = Guid.CreateVersion7(now),
            TenantId = conversation.TenantId,
            ConversationId = conversation.Id,
            ChannelId = conversation.ChannelId,
            Direction = MessageDirection.Inbound,
            Sender = MessageSender.Contact,
            Type = type,
            Body = body,
            Payload = payload,
            ExternalId = externalId,
            ReplyToExternalId = replyTo,
            Status = DeliveryStatus.Received,
            SentAt = sentAt,
            CreatedAt = now,
        };
        message.Record(new MessageReceived(message.TenantId, message.ConversationId, message.Id) { ChannelId = message.ChannelId });
        return message;
    }

    public static Message Outbound(Conversation conversation, MessageSender sender, Guid? memberId, MessageType type, string? body,
        string? payload, DateTimeOffset now)
    {
        if (sender == MessageSender.Contact)
            throw new DomainException("message.sender", "An outbound message is sent by the business, not the contact.");
        var message = new Message
        {
            Id = Guid.CreateVersion7(now),
            TenantId = conversation.TenantId,
            ConversationId = conversation.Id,
            ChannelId = conversation.ChannelId,
            Direction = MessageDirection.Outbound,
            Sender = sender,
            SenderMemberId = memberId,
            Type = type,
            Body = body,
            Payload = payload,
            Status = DeliveryStatus.Queued,
            SentAt = now,
            CreatedAt = now,
        };
        message.Record(new OutboundMessageQueued(message.TenantId, message.ConversationId, message.Id) { ChannelId = message.ChannelId });
        return message;
    }

    /// <summary>A status the channel reported; returns false when it would move backwards or leave a terminal failure.</summary>
    public bool AdvanceStatus(DeliveryStatus next, string? errorCode = null, string? errorText = null)
    {
        if (!Advance(next, errorCode, errorText)) return false;
        Record(new MessageStatusChanged(TenantId, ConversationId, Id, Status));
        return true;
    }

    private bool Advance(DeliveryStatus next, string? errorCode = null, string? errorText = null)
    {
        if (Status == DeliveryStatus.Failed) return false;
        if (next == DeliveryStatus.Failed)
        {
            Status = next;
            ErrorCode = errorCode;
            ErrorText = errorText;
            return true;
        }
        if (next <= Status) return false;
        Status = next;
        return true;
    }

    public void MarkSent(string externalId)
    {
        ExternalId = externalId;
        Attempts++;
        NextAttemptAt = null;
        Advance(DeliveryStatus.Sent);
        Record(new OutboundMessageAttempted(TenantId, ConversationId, Id, Status));
    }

    /// <summary>A transient send failure: stays queued until <paramref name="retryAt"/>, keeping the last error visible.</summary>
    public void ScheduleRetry(DateTimeOffset retryAt, string errorCode, string errorText)
    {
        Attempts++;
        NextAttemptAt = retryAt;
        ErrorCode = errorCode;
        ErrorText = errorText;
        Record(new OutboundMessageAttempted(TenantId, ConversationId, Id, Status));
    }

    public void FailSend(string errorCode, string errorText)
    {
        Attempts++;
        NextAttemptAt = null;
        Advance(DeliveryStatus.Failed, errorCode, errorText);
        Record(new OutboundMessageAttempted(TenantId, ConversationId, Id, Status));
    }

    /// <summary>
    /// A super admin sends a failed message again after the cause is fixed: queued as new (a fresh set of attempts, due
    /// now), so the dispatcher delivers it through the one send path. The only way back from <see cref="DeliveryStatus.Failed"/>;
    /// false (nothing changes) for anything that is not a failed outbound message, so a second retry does nothing.
    /// The last error stays until the next attempt replaces it.
    /// </summary>
    public bool RequeueFailedSend(DateTimeOffset now)
    {
        if (Direction != MessageDirection.Outbound || Status != DeliveryStatus.Failed) return false;
        Status = DeliveryStatus.Queued;
        ExternalId = null;
        Attempts = 0;
        NextAttemptAt = now;
        Record(new OutboundMessageQueued(TenantId, ConversationId, Id));
        return true;
    }

    public void MarkDeletedByCustomer(DateTimeOffset at)
    {
        if (DeletedAt is not null) return;
        DeletedAt = at;
        Record(new MessageDeletedByCustomer(TenantId, ConversationId, Id));
    }

    public void ExpectMedia() => MediaState = Conversations.MediaState.Pending;

    /// <summary>Keeps the transcript or description; set before <see cref="MediaStored"/> so the turn sees both at once.</summary>
    public void Understood(string text)
    {
        text = text?.Trim() ?? "";
        if (text.Length == 0) return;
        MediaText = text.Length > MediaTextMax ? text[..MediaTextMax] : text;
    }

    public const int MediaTextMax = 4000;

    public void MediaStored(string contentType)
    {
        MediaState = Conversations.MediaState.Stored;
        MediaContentType = contentType;
        NextAttemptAt = null;
        Record(new MessageMediaSettled(TenantId, ConversationId, Id, Conversations.MediaState.Stored));
    }

    /// <summary>Media download failed: retry later, or give up (the link expires) keeping the reason.</summary>
    public void MediaFailed(string error, DateTimeOffset? retryAt)
    {
        Attempts++;
        ErrorText = error;
        NextAttemptAt = retryAt;
        if (retryAt is null) MediaState = Conversations.MediaState.Failed;
        Record(new MessageMediaSettled(TenantId, ConversationId, Id, MediaState ?? Conversations.MediaState.Pending));
    }

    /// <summary>The file broke a media rule (where it lives, its size or its type): kept unfetched for good, with the reason.</summary>
    public void MediaRefused(string reason, string detail)
    {
        Attempts++;
        MediaState = Conversations.MediaState.Refused;
        ErrorCode = reason;
        ErrorText = detail;
        NextAttemptAt = null;
        Record(new MessageMediaSettled(TenantId, ConversationId, Id, Conversations.MediaState.Refused));
    }

    /// <summary>A business message sent from another tool (Meta Business Suite, the phone app), seen as an echo.</summary>
    public static Message Echo(Conversation conversation, string externalId, MessageType type, string? body, string? payload,
        DateTimeOffset sentAt, DateTimeOffset now)
    {
        var message = Outbound(conversation, MessageSender.Agent, null, type, body, payload, now);
        message.TakeEvents(); // not queued by us: it is an echo
        message.Record(new MessageEchoed(message.TenantId, message.ConversationId, message.Id) { ChannelId = message.ChannelId });
        message.ExternalId = externalId;
        message.Status = DeliveryStatus.Sent;
        message.SentAt = sentAt;
        return message;
    }
}
