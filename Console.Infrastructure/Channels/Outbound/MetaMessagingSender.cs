using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>
/// Messenger and Instagram Send API: <c>POST {graph}/{version}/{page or IG account id}/messages</c>. Neither has
/// WhatsApp's reply buttons or lists here, so those go as numbered text; templates are WhatsApp-only.
/// </summary>
public sealed class MetaMessagingSender(
    IHttpClientFactory httpClients,
    IOptionsMonitor<MetaOptions> options,
    TimeProvider clock,
    ILogger<MetaMessagingSender> logger) : IChannelSender
{
    public bool Handles(ChannelKind kind) => kind is ChannelKind.Messenger or ChannelKind.Instagram;

    public async Task<SendResult> SendAsync(OutboundRequest request, CancellationToken ct)
    {
        if (!Handles(request.Kind)) throw new ArgumentException($"MetaMessagingSender cannot send on {request.Kind}.", nameof(request));
        var problems = OutboundValidator.Validate(request.Kind, request.Content);
        if (problems.Count > 0) return Failed(request.Kind, OutboundValidator.AsFailure(problems));

        var meta = options.CurrentValue;
        var url = $"{meta.GraphBaseUrl.TrimEnd('/')}/{meta.GraphVersion}/{Uri.EscapeDataString(request.ChannelExternalId)}/messages";
        using var message = ChannelHttp.JsonPost(url, Body(request),
            h => h.Authorization = new AuthenticationHeaderValue("Bearer", request.AccessToken));
        var (answer, failure) = await ChannelHttp.SendAsync(httpClients.CreateClient(ChannelHttp.GraphClient), message,
            $"{request.Kind} Send API", clock, ct);
        if (failure is not null) return Failed(request.Kind, failure);
        if (!answer!.IsSuccess) return Failed(request.Kind, GraphErrorClassifier.Classify(answer.Status, answer.Body, answer.RetryAfter));

        // Success: {"recipient_id":"…","message_id":"m_…"}.
        var id = GraphErrorClassifier.ReadString(ChannelHttp.ParseObject(answer.Body)?["message_id"]);
        return id is not null
            ? SendResult.Sent(id)
            : Failed(request.Kind, new SendFailure(SendFailureKind.Permanent, "unexpected_answer",
                $"{request.Kind} Send API answered HTTP {answer.Status} without a message id; it may have been delivered, so it is not retried"));
    }

    /// <summary>The Send API body: RESPONSE inside the 24 h window, MESSAGE_TAG + HUMAN_AGENT for a human's later reply.</summary>
    public static JsonObject Body(OutboundRequest request)
    {
        var body = new JsonObject { ["recipient"] = new JsonObject { ["id"] = request.Recipient } };
        if (request.HumanAgentTag)
        {
            // Meta allows this tag only for a person's reply, up to 7 days after the customer's last message.
            body["messaging_type"] = "MESSAGE_TAG";
            body["tag"] = "HUMAN_AGENT";
        }
        else
        {
            body["messaging_type"] = "RESPONSE";
        }
        // ReplyToExternalId is not sent: a quoted reply is not part of the Send API shape this step targets.
        var message = Message(request.Content);
        // Meta repeats it in the echo of this message: after a crash it names the send whose mid we never stored.
        if (!string.IsNullOrEmpty(request.IdempotencyKey)) message["metadata"] = request.IdempotencyKey;
        body["message"] = message;
        return body;
    }

    private static JsonObject Message(OutboundContent content)
    {
        if (content.Text is { } text) return new JsonObject { ["text"] = text };
        if (content.Buttons is { } buttons) return new JsonObject { ["text"] = NumberedText.Render(buttons) };
        if (content.List is { } list) return new JsonObject { ["text"] = NumberedText.Render(list) };
        if (content.Link is { } link) return new JsonObject { ["text"] = NumberedText.Render(link) };
        if (content.Media is { } media)
        {
            // An uploaded attachment is referenced by id; a link is fetched by Meta and kept for reuse.
            var payload = string.IsNullOrWhiteSpace(media.MediaId)
                ? new JsonObject { ["url"] = media.Link, ["is_reusable"] = true }
                : new JsonObject { ["attachment_id"] = media.MediaId };
            var type = media.Kind.ToLowerInvariant() == "document" ? "file" : media.Kind.ToLowerInvariant();
            return new JsonObject { ["attachment"] = new JsonObject { ["type"] = type, ["payload"] = payload } };
        }
        // Templates never get here: the validator refuses them on Messenger and Instagram.
        throw new ArgumentException("Messenger and Instagram cannot send this content.", nameof(content));
    }

    private SendResult Failed(ChannelKind kind, SendFailure failure)
    {
        logger.LogWarning("{Channel} send failed: {FailureKind} {FailureCode}: {FailureMessage}", kind, failure.Kind, failure.Code, failure.Message);
        return SendResult.Failed(failure);
    }
}
