using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>WhatsApp Cloud API: <c>POST {graph}/{version}/{phone_number_id}/messages</c> with the channel's bearer token.</summary>
public sealed partial class WhatsAppSender(
    IHttpClientFactory httpClients,
    IOptionsMonitor<MetaOptions> options,
    TimeProvider clock,
    ILogger<WhatsAppSender> logger) : IChannelSender
{
    private const string Api = "WhatsApp Cloud API";

    public bool Handles(ChannelKind kind) => kind == ChannelKind.WhatsApp;

    public async Task<SendResult> SendAsync(OutboundRequest request, CancellationToken ct)
    {
        if (!Handles(request.Kind)) throw new ArgumentException($"WhatsAppSender cannot send on {request.Kind}.", nameof(request));
        var problems = OutboundValidator.Validate(request.Kind, request.Content);
        if (problems.Count > 0) return Failed(OutboundValidator.AsFailure(problems));

        var (answer, failure) = await PostAsync(request.ChannelExternalId, request.AccessToken, Body(request), ct);
        if (failure is not null) return Failed(failure);
        // Success: {"messaging_product":"whatsapp","contacts":[…],"messages":[{"id":"wamid…"}]}.
        var id = GraphErrorClassifier.ReadString(ChannelHttp.ParseObject(answer!.Body)?["messages"]?[0]?["id"]);
        return id is not null ? SendResult.Sent(id) : Failed(UnexpectedAnswer(answer));
    }

    /// <summary>
    /// Marks a customer's message read (blue ticks) and, when asked, shows "typing…" for up to 25 s or until the
    /// next send. Returns the marked message's id on success.
    /// </summary>
    public async Task<SendResult> MarkReadAsync(string phoneNumberId, string accessToken, string messageId, bool showTyping, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["status"] = "read",
            ["message_id"] = messageId,
        };
        if (showTyping) body["typing_indicator"] = new JsonObject { ["type"] = "text" };
        var (_, failure) = await PostAsync(phoneNumberId, accessToken, body, ct);
        return failure is null ? SendResult.Sent(messageId) : Failed(failure);
    }

    /// <summary>The Cloud API body for one request, exactly as channels.md section 2 shapes it.</summary>
    public static JsonObject Body(OutboundRequest request)
    {
        var body = new JsonObject { ["messaging_product"] = "whatsapp", ["recipient_type"] = "individual" };
        // A customer with a username may be known only by BSUID ("US.13491208655302741918"), which Meta takes in
        // "recipient"; a wa_id or phone number goes in "to".
        body[IsBsuid(request.Recipient) ? "recipient" : "to"] = request.Recipient;
        if (!string.IsNullOrEmpty(request.ReplyToExternalId)) body["context"] = new JsonObject { ["message_id"] = request.ReplyToExternalId };
        // Meta repeats it in every status of this message: after a crash it names the send whose wamid we never stored.
        if (!string.IsNullOrEmpty(request.IdempotencyKey)) body["biz_opaque_callback_data"] = request.IdempotencyKey;

        var content = request.Content;
        if (content.Text is { } text)
        {
            body["type"] = "text";
            // No link previews: a bot's or agent's link should not unfold into someone else's card.
            body["text"] = new JsonObject { ["preview_url"] = false, ["body"] = text };
        }
        else if (content.Media is { } media)
        {
            var kind = media.Kind.ToLowerInvariant();
            var payload = new JsonObject();
            if (!string.IsNullOrWhiteSpace(media.MediaId)) payload["id"] = media.MediaId;
            else payload["link"] = media.Link;
            if (!string.IsNullOrEmpty(media.Caption)) payload["caption"] = media.Caption;
            if (kind == "document" && !string.IsNullOrEmpty(media.FileName)) payload["filename"] = media.FileName;
            body["type"] = kind;
            body[kind] = payload;
        }
        else if (content.Template is { } template)
        {
            var payload = new JsonObject { ["name"] = template.Name, ["language"] = new JsonObject { ["code"] = template.Language } };
            if (template.BodyParameters.Count > 0)
            {
                var parameters = new JsonArray([.. template.BodyParameters.Select(p => (JsonNode)new JsonObject { ["type"] = "text", ["text"] = p })]);
                payload["components"] = new JsonArray(new JsonObject { ["type"] = "body", ["parameters"] = parameters });
            }
            body["type"] = "template";
            body["template"] = payload;
        }
        else if (content.Buttons is { } buttons)
        {
            var replies = buttons.Buttons.Select(b => (JsonNode)new JsonObject
            {
                ["type"] = "reply",
                ["reply"] = new JsonObject { ["id"] = b.Id, ["title"] = b.Title },
            });
            body["type"] = "interactive";
            body["interactive"] = new JsonObject
            {
                ["type"] = "button",
                ["body"] = new JsonObject { ["text"] = buttons.Body },
                ["action"] = new JsonObject { ["buttons"] = new JsonArray([.. replies]) },
            };
        }
        else if (content.Link is { } link)
        {
            body["type"] = "interactive";
            body["interactive"] = new JsonObject
            {
                ["type"] = "cta_url",
                ["body"] = new JsonObject { ["text"] = link.Body },
                ["action"] = new JsonObject
                {
                    ["name"] = "cta_url",
                    ["parameters"] = new JsonObject { ["display_text"] = link.Label, ["url"] = link.Url },
                },
            };
        }
        else if (content.List is { } list)
        {
            var sections = list.Sections.Select(s =>
            {
                var section = new JsonObject();
                if (!string.IsNullOrEmpty(s.Title)) section["title"] = s.Title;
                section["rows"] = new JsonArray([.. s.Rows.Select(r =>
                {
                    var row = new JsonObject { ["id"] = r.Id, ["title"] = r.Title };
                    if (!string.IsNullOrEmpty(r.Description)) row["description"] = r.Description;
                    return (JsonNode)row;
                })]);
                return (JsonNode)section;
            });
            body["type"] = "interactive";
            body["interactive"] = new JsonObject
            {
                ["type"] = "list",
                ["body"] = new JsonObject { ["text"] = list.Body },
                ["action"] = new JsonObject { ["button"] = list.ButtonLabel, ["sections"] = new JsonArray([.. sections]) },
            };
        }
        else
        {
            throw new ArgumentException("The content has nothing to send.", nameof(request));
        }
        return body;
    }

    private async Task<(ChannelAnswer? Answer, SendFailure? Failure)> PostAsync(string phoneNumberId, string accessToken, JsonObject body,
        CancellationToken ct)
    {
        var meta = options.CurrentValue;
        var url = $"{meta.GraphBaseUrl.TrimEnd('/')}/{meta.GraphVersion}/{Uri.EscapeDataString(phoneNumberId)}/messages";
        using var request = ChannelHttp.JsonPost(url, body, h => h.Authorization = new AuthenticationHeaderValue("Bearer", accessToken));
        var (answer, failure) = await ChannelHttp.SendAsync(httpClients.CreateClient(ChannelHttp.GraphClient), request, Api, clock, ct);
        if (failure is not null) return (null, failure);
        return answer!.IsSuccess ? (answer, null) : (null, GraphErrorClassifier.Classify(answer.Status, answer.Body, answer.RetryAfter));
    }

    private static SendFailure UnexpectedAnswer(ChannelAnswer answer) =>
        // Not retried: the API said yes, so the message is probably out, and a retry could send it twice.
        new(SendFailureKind.Permanent, "unexpected_answer",
            $"{Api} answered HTTP {answer.Status} without a message id; it may have been delivered, so it is not retried");

    private SendResult Failed(SendFailure failure)
    {
        // Meta's message names the problem, never the token; the recipient stays out of the log.
        logger.LogWarning("WhatsApp send failed: {FailureKind} {FailureCode}: {FailureMessage}", failure.Kind, failure.Code, failure.Message);
        return SendResult.Failed(failure);
    }

    private static bool IsBsuid(string recipient) => BsuidPattern().IsMatch(recipient);

    // Two-letter country code, a dot, then alphanumerics (a parent BSUID has "ENT." in between).
    [GeneratedRegex(@"^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]+$")]
    private static partial Regex BsuidPattern();
}
