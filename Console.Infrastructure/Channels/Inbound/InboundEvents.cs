using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// What a webhook delivery means, channel-neutral. Parsers turn each channel's wire format into a list of these;
/// the ingest processor applies them to the database. One delivery can carry many events for many channels
/// (and so many tenants): every event names the channel account it belongs to.
/// </summary>
public abstract record InboundEvent
{
    public required ChannelKind Channel { get; init; }

    /// <summary>phone_number_id (WhatsApp), page id (Messenger), IG account id (Instagram), business id (TikTok).</summary>
    public required string ChannelExternalId { get; init; }
}

/// <summary>Who the customer is on this channel.</summary>
/// <param name="Kind">WaId, Bsuid, Psid, Igsid or OpenId.</param>
/// <param name="Id">The identity value (wa_id digits, BSUID, PSID, IGSID, TikTok open_id / user id).</param>
/// <param name="AlsoKnownAs">A second identity for the same person in the same event (WhatsApp sends BSUID and wa_id together).</param>
public sealed record CustomerRef(IdentityKind Kind, string Id, string? ProfileName = null, CustomerAlias? AlsoKnownAs = null);

public sealed record CustomerAlias(IdentityKind Kind, string Id);

/// <summary>A message the customer sent.</summary>
public sealed record InboundMessage : InboundEvent
{
    public required string ExternalId { get; init; }
    public required CustomerRef Customer { get; init; }
    public required MessageType Type { get; init; }

    /// <summary>Human-readable text: the body, caption, button title, location name…; null when there is none.</summary>
    public string? Text { get; init; }

    /// <summary>The type-specific payload as a JSON object (media id and mime type, coordinates, vCards, order items…).</summary>
    public string? PayloadJson { get; init; }

    /// <summary>The channel's own timestamp of the message (never the arrival time).</summary>
    public required DateTimeOffset SentAt { get; init; }
    public string? ReplyToExternalId { get; init; }

    /// <summary>Arrived through a click-to-WhatsApp ad (referral): the customer window is 72 h instead of 24 h.</summary>
    public bool FromAd { get; init; }

    /// <summary>TikTok's conversation id, needed to reply; null elsewhere.</summary>
    public string? ChannelConversationId { get; init; }

    /// <summary>Media to download through the Graph media flow (WhatsApp media id) or a direct URL (Messenger attachments).</summary>
    public MediaRef? Media { get; init; }
}

public sealed record MediaRef(string? MediaId, string? Url, string? MimeType, string? Sha256, string? FileName);

/// <summary>
/// A message the business sent, echoed back by the channel (Messenger/Instagram is_echo, TikTok im_send_msg).
/// If the system did not send it itself, a human answered from another tool.
/// </summary>
public sealed record InboundEcho : InboundEvent
{
    public required string ExternalId { get; init; }
    public required CustomerRef Customer { get; init; }
    public required MessageType Type { get; init; }
    public string? Text { get; init; }
    public string? PayloadJson { get; init; }
    public required DateTimeOffset SentAt { get; init; }
    public string? ChannelConversationId { get; init; }

    /// <summary>Our message id, when the echo is of our own send (Messenger/Instagram repeat the send's <c>metadata</c>).</summary>
    public Guid? OurMessageId { get; init; }
}

/// <summary>Delivery status of one message we sent (WhatsApp statuses[]).</summary>
public sealed record InboundStatus : InboundEvent
{
    public required string MessageExternalId { get; init; }

    /// <summary>Our message id, as the send's <c>biz_opaque_callback_data</c> gave it (Meta repeats it in every status).</summary>
    public Guid? OurMessageId { get; init; }
    public required DeliveryStatus Status { get; init; }
    public required DateTimeOffset At { get; init; }
    public string? RecipientId { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorText { get; init; }
}

/// <summary>Messenger/Instagram delivery or read receipts: every message to this customer up to the watermark.</summary>
public sealed record InboundWatermark : InboundEvent
{
    public required CustomerRef Customer { get; init; }
    public required DeliveryStatus Status { get; init; }
    public required DateTimeOffset Watermark { get; init; }

    /// <summary>Explicit message ids when the channel lists them (Messenger delivery.mids, Instagram read.mid).</summary>
    public IReadOnlyList<string> MessageExternalIds { get; init; } = [];
}

/// <summary>The customer reacted to a message (emoji null = reaction removed).</summary>
public sealed record InboundReaction : InboundEvent
{
    public required string ExternalId { get; init; }
    public required CustomerRef Customer { get; init; }
    public required string TargetExternalId { get; init; }
    public string? Emoji { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>The customer deleted (unsent) a message (Instagram is_deleted).</summary>
public sealed record InboundDeletion : InboundEvent
{
    public required string MessageExternalId { get; init; }
    public required CustomerRef Customer { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>An error the channel reports with no message attached (WhatsApp value.errors[]).</summary>
public sealed record InboundChannelError : InboundEvent
{
    public required string Code { get; init; }
    public required string Title { get; init; }
    public string? Details { get; init; }
}

/// <summary>
/// Meta's review of a WhatsApp message template (field message_template_status_update). <see cref="InboundEvent.ChannelExternalId"/>
/// is the WABA id (entry[].id), not a phone number id.
/// </summary>
public sealed record InboundTemplateStatus : InboundEvent
{
    public string? TemplateId { get; init; }
    public string? Name { get; init; }
    public string? Language { get; init; }

    /// <summary>APPROVED, REJECTED, PAUSED, DISABLED, PENDING_DELETION, … as sent.</summary>
    public required string Status { get; init; }
    public string? Reason { get; init; }
}

/// <summary>Signed but not understood: the endpoint answers 400 (the raw delivery is still kept).</summary>
/// <remarks>The message may quote the body; NUL (which PostgreSQL text refuses) is replaced so the error can be stored.</remarks>
public sealed class WebhookFormatException(string message, Exception? inner = null) : Exception(message.Replace('\0', '\uFFFD'), inner);
