using System.Globalization;
using System.Text.Json.Nodes;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>
/// Turns a Graph API error (<c>{"error":{"message","code","error_subcode"?,"error_data":{"details"}}}</c>) into what the
/// caller should do about it. Branches on <c>error.code</c>, not the HTTP status: Meta answers most errors with 400
/// whatever they mean. The status decides only when there is no readable code.
/// </summary>
public static class GraphErrorClassifier
{
    // WhatsApp 131047 (re-engagement); 470, its number in the old on-premises API; Messenger's 551 ("this person
    // isn't available right now"), read tolerantly as a closed window: the operator decides what to do next.
    private static readonly HashSet<long> WindowCodes = [131047, 470, 551];

    // Messenger 2018278 (outside the allowed window), 2018108, and Instagram's 2534022 for the same thing.
    private static readonly HashSet<long> WindowSubcodes = [2018278, 2018108, 2534022];

    // 130429 WhatsApp throughput; 4, 17, 32, 613 and 80007 are Graph's app, user, page and account rate limits;
    // 1, 2, 131000 and 131016 are the errors Meta documents as temporary ("try again later").
    private static readonly HashSet<long> RetryableCodes = [130429, 4, 17, 32, 613, 80007, 1, 2, 131000, 131016];

    // 368 temporarily blocked for policy; 131031 business account locked.
    private static readonly HashSet<long> PolicyCodes = [368, 131031];

    public static SendFailure Classify(int httpStatus, string? body, TimeSpan? retryAfter = null)
    {
        var error = ReadError(body);
        var code = error is null ? null : ReadLong(error["code"]);
        if (error is null || code is null)
        {
            // No code to branch on (a proxy's HTML page, an empty 502): only the status says anything.
            var kind = httpStatus >= 500 || httpStatus == 429 ? SendFailureKind.Retryable : SendFailureKind.Permanent;
            var text = ReadString(error?["message"]);
            return new SendFailure(kind, $"http_{httpStatus}", text ?? $"Meta answered HTTP {httpStatus} without a readable error",
                RetryAfterFor(kind, retryAfter));
        }

        var subcode = ReadLong(error["error_subcode"]);
        var failureKind = KindFor(code.Value, subcode, httpStatus, error["is_transient"] is JsonValue t && t.TryGetValue<bool>(out var transient) && transient);
        return new SendFailure(failureKind, code.Value.ToString(CultureInfo.InvariantCulture), Describe(error, code.Value),
            RetryAfterFor(failureKind, retryAfter));
    }

    /// <summary>Classifies a finished HTTP exchange, honouring its <c>Retry-After</c> header.</summary>
    public static SendFailure Classify(HttpResponseMessage response, string? body, DateTimeOffset now) =>
        Classify((int)response.StatusCode, body, ReadRetryAfter(response, now));

    /// <summary>
    /// Retry-After as seconds or as an HTTP date. A date is measured against the response's own Date header when
    /// there is one, so a skewed local clock does not stretch or shrink the wait.
    /// </summary>
    public static TimeSpan? ReadRetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        var header = response.Headers.RetryAfter;
        if (header is null) return null;
        if (header.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header.Date is { } date)
        {
            var wait = date - (response.Headers.Date ?? now);
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private static SendFailureKind KindFor(long code, long? subcode, int httpStatus, bool transient)
    {
        if (WindowCodes.Contains(code) || (subcode is { } s && WindowSubcodes.Contains(s))) return SendFailureKind.WindowClosed;
        if (code == 131056) return SendFailureKind.RetryableForRecipient;
        if (code == 190) return SendFailureKind.TokenExpired;
        if (PolicyCodes.Contains(code)) return SendFailureKind.Policy;
        // 131026 undeliverable, 100 / 131009 invalid parameter: retrying sends the same refusal.
        if (code is 131026 or 100 or 131009) return SendFailureKind.Permanent;
        if (RetryableCodes.Contains(code) || transient) return SendFailureKind.Retryable;
        return httpStatus >= 500 || httpStatus == 429 ? SendFailureKind.Retryable : SendFailureKind.Permanent;
    }

    /// <summary>Meta's message, then the details that say which parameter or why ("(#100) Invalid parameter: …").</summary>
    private static string Describe(JsonObject error, long code)
    {
        var message = ReadString(error["message"]) ?? ReadString(error["error_user_msg"]) ?? $"Meta error {code}";
        var details = error["error_data"] switch
        {
            JsonObject data => ReadString(data["details"]),
            // Messenger sometimes sends error_data as a string: JSON text or plain words.
            JsonValue value when value.TryGetValue<string>(out var text) => ReadString(ChannelHttp.ParseObject(text)?["details"]) ?? text,
            _ => null,
        };
        return string.IsNullOrWhiteSpace(details) || message.Contains(details, StringComparison.Ordinal) ? message : $"{message}: {details}";
    }

    private static TimeSpan? RetryAfterFor(SendFailureKind kind, TimeSpan? retryAfter) =>
        kind is SendFailureKind.Retryable or SendFailureKind.RetryableForRecipient ? retryAfter : null;

    private static JsonObject? ReadError(string? body) => (body is null ? null : ChannelHttp.ParseObject(body))?["error"] as JsonObject;

    internal static string? ReadString(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) ? text : null;

    /// <summary>Codes arrive as numbers; be tolerant of numeric strings too.</summary>
    internal static long? ReadLong(JsonNode? node)
    {
        if (node is not JsonValue value) return null;
        if (value.TryGetValue<long>(out var number)) return number;
        if (value.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
            return parsed;
        return null;
    }
}
