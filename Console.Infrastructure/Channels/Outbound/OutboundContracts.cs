using OperatorConsole.Domain.Channels;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>
/// What to send, channel-neutral. Stored as JSON in the outbound message's payload so a retry sends exactly the
/// same thing. Exactly one of the content members is set.
/// </summary>
public sealed record OutboundContent
{
    public string? Text { get; init; }
    public MediaContent? Media { get; init; }
    public TemplateContent? Template { get; init; }
    public ButtonsContent? Buttons { get; init; }
    public ListContent? List { get; init; }
    public LinkContent? Link { get; init; }
}

/// <param name="Kind">image, video, audio or document.</param>
public sealed record MediaContent(string Kind, string? Link, string? MediaId, string? Caption, string? FileName);

public sealed record TemplateContent(string Name, string Language, IReadOnlyList<string> BodyParameters);

public sealed record ReplyButton(string Id, string Title);

public sealed record ButtonsContent(string Body, IReadOnlyList<ReplyButton> Buttons);

public sealed record ListRow(string Id, string Title, string? Description);

public sealed record ListSection(string? Title, IReadOnlyList<ListRow> Rows);

public sealed record ListContent(string Body, string ButtonLabel, IReadOnlyList<ListSection> Sections);

/// <summary>
/// A message with one button that opens an https address (a payment page): WhatsApp's call-to-action URL button;
/// other channels get the body and the address as text.
/// </summary>
public sealed record LinkContent(string Body, string Label, string Url);

/// <summary>One send to one customer on one channel.</summary>
/// <param name="Recipient">wa_id (or BSUID) on WhatsApp, PSID / IGSID on Messenger / Instagram, the conversation id on TikTok.</param>
/// <param name="HumanAgentTag">Messenger/Instagram: a human's reply between 24 h and 7 days (MESSAGE_TAG + HUMAN_AGENT).</param>
/// <param name="IdempotencyKey">Stable per outbound message; a retry reuses it.</param>
public sealed record OutboundRequest(
    ChannelKind Kind,
    string ChannelExternalId,
    string AccessToken,
    string Recipient,
    OutboundContent Content,
    string? ReplyToExternalId,
    bool HumanAgentTag,
    string IdempotencyKey);

public enum SendFailureKind
{
    /// <summary>Throttling (130429), 5xx, timeouts, network: retry with backoff.</summary>
    Retryable,

    /// <summary>Too many messages to this one user (131056): retry later, others unaffected.</summary>
    RetryableForRecipient,

    /// <summary>Outside the customer window (131047 etc.): only a template can go; tell the operator.</summary>
    WindowClosed,

    /// <summary>Access token expired or revoked (190): put the channel in error, alert the tenant.</summary>
    TokenExpired,

    /// <summary>Blocked for policy (368): permanent, alert.</summary>
    Policy,

    /// <summary>Invalid parameter, undeliverable and everything else permanent: mark failed, show the reason.</summary>
    Permanent,
}

public sealed record SendFailure(SendFailureKind Kind, string Code, string Message, TimeSpan? RetryAfter = null);

public sealed record SendResult(string? ExternalId, SendFailure? Failure)
{
    public bool Succeeded => Failure is null;

    public static SendResult Sent(string externalId) => new(externalId, null);

    public static SendResult Failed(SendFailure failure) => new(null, failure);
}

/// <summary>Sends through one channel's API. Implementations never throw for API errors: they classify them.</summary>
public interface IChannelSender
{
    bool Handles(ChannelKind kind);

    Task<SendResult> SendAsync(OutboundRequest request, CancellationToken ct);
}

/// <summary>A request that breaks a channel limit, found before calling the API ("reply buttons: at most 3, got 4").</summary>
public sealed record ValidationProblem(string Field, string Message);
