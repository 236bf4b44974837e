using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>
/// TikTok business direct messages (provisional: TikTok documents this API thinly, so the answer is read
/// tolerantly). <c>POST {tiktok}/open_api/v1.3/business/message/send/</c> with an <c>Access-Token</c> header; text only,
/// buttons and lists as numbered text.
/// </summary>
public sealed class TikTokSender(
    IHttpClientFactory httpClients,
    IOptionsMonitor<TikTokOptions> options,
    TimeProvider clock,
    ILogger<TikTokSender> logger) : IChannelSender
{
    private const string Api = "TikTok Business API";

    // 40100: too many requests (QPS); 40105: access token incorrect or revoked.
    private const long RateLimitCode = 40100;
    private const long TokenRevokedCode = 40105;

    public bool Handles(ChannelKind kind) => kind == ChannelKind.TikTok;

    public async Task<SendResult> SendAsync(OutboundRequest request, CancellationToken ct)
    {
        if (!Handles(request.Kind)) throw new ArgumentException($"TikTokSender cannot send on {request.Kind}.", nameof(request));
        var problems = OutboundValidator.Validate(request.Kind, request.Content);
        if (problems.Count > 0) return Failed(OutboundValidator.AsFailure(problems));

        var url = $"{options.CurrentValue.ApiBaseUrl.TrimEnd('/')}/open_api/v1.3/business/message/send/";
        // TikTok wants the bare token in Access-Token, no "Bearer" prefix.
        using var message = ChannelHttp.JsonPost(url, Body(request), h => h.Add("Access-Token", request.AccessToken));
        var (answer, failure) = await ChannelHttp.SendAsync(httpClients.CreateClient(ChannelHttp.TikTokClient), message, Api, clock, ct);
        if (failure is not null) return Failed(failure);

        var root = ChannelHttp.ParseObject(answer!.Body);
        var code = GraphErrorClassifier.ReadLong(root?["code"]);
        if (!answer.IsSuccess || code is null or not 0) return Failed(Classify(answer, root, code));

        // Success: {"code":0,"message":"OK","data":{"message":{"message_id":"…"}}}.
        var id = GraphErrorClassifier.ReadString(root?["data"]?["message"]?["message_id"]);
        return id is not null
            ? SendResult.Sent(id)
            : Failed(new SendFailure(SendFailureKind.Permanent, "unexpected_answer",
                $"{Api} answered code 0 without a message id; it may have been delivered, so it is not retried"));
    }

    public static JsonObject Body(OutboundRequest request)
    {
        var content = request.Content;
        var text = content.Text
            ?? (content.Buttons is { } buttons ? NumberedText.Render(buttons) : null)
            ?? (content.List is { } list ? NumberedText.Render(list) : null)
            ?? (content.Link is { } link ? NumberedText.Render(link) : null)
            // Media and templates never get here: the validator refuses them on TikTok.
            ?? throw new ArgumentException("TikTok can only send text.", nameof(request));
        return new JsonObject
        {
            ["business_id"] = request.ChannelExternalId,
            ["recipient_type"] = "CONVERSATION",
            ["recipient"] = request.Recipient,
            ["message_type"] = "TEXT",
            ["text"] = new JsonObject { ["body"] = text },
        };
    }

    /// <summary>
    /// A non-zero code (TikTok answers most errors with HTTP 200) or a failed HTTP status. Rate limits and server
    /// errors (5xxxx codes, HTTP 5xx / 429) are retryable; a revoked token is the channel's problem; the rest permanent.
    /// </summary>
    private static SendFailure Classify(ChannelAnswer answer, JsonObject? root, long? code)
    {
        var text = GraphErrorClassifier.ReadString(root?["message"]);
        var requestId = GraphErrorClassifier.ReadString(root?["request_id"]);
        var message = (text ?? $"{Api} answered HTTP {answer.Status}") + (requestId is null ? "" : $" (request_id {requestId})");
        var rateLimited = code == RateLimitCode || (text is not null && (
            text.Contains("rate limit", StringComparison.OrdinalIgnoreCase) ||
            text.Contains("too many", StringComparison.OrdinalIgnoreCase) ||
            text.Contains("frequen", StringComparison.OrdinalIgnoreCase)));
        var kind = rateLimited || code is >= 50000 and < 60000 || answer.Status >= 500 || answer.Status == 429
            ? SendFailureKind.Retryable
            : code == TokenRevokedCode ? SendFailureKind.TokenExpired : SendFailureKind.Permanent;
        var failureCode = code is { } c ? c.ToString(CultureInfo.InvariantCulture) : $"http_{answer.Status}";
        return new SendFailure(kind, failureCode, message, kind == SendFailureKind.Retryable ? answer.RetryAfter : null);
    }

    private SendResult Failed(SendFailure failure)
    {
        logger.LogWarning("TikTok send failed: {FailureKind} {FailureCode}: {FailureMessage}", failure.Kind, failure.Code, failure.Message);
        return SendResult.Failed(failure);
    }
}
