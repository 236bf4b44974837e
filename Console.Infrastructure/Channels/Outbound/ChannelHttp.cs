using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>An answer from a channel API: status, body text, and the Retry-After it asked for.</summary>
internal sealed record ChannelAnswer(int Status, string Body, TimeSpan? RetryAfter)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>
/// One JSON POST to a channel API, with the failures every sender shares turned into results instead of
/// exceptions: a timeout or an unreachable host is <see cref="SendFailureKind.Retryable"/>. No retry here: a POST
/// retried at this level could send the customer the same message twice; the caller retries durably.
/// </summary>
internal static class ChannelHttp
{
    public const string GraphClient = "graph";
    public const string TikTokClient = "tiktok";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static HttpRequestMessage JsonPost(string url, JsonObject body, Action<HttpRequestHeaders> headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        headers(request.Headers);
        return request;
    }

    /// <summary>Sends and reads the whole answer; cancellation by <paramref name="ct"/> still throws.</summary>
    public static async Task<(ChannelAnswer? Answer, SendFailure? Failure)> SendAsync(HttpClient client, HttpRequestMessage request,
        string api, TimeProvider clock, CancellationToken ct)
    {
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return (new ChannelAnswer((int)response.StatusCode, body, GraphErrorClassifier.ReadRetryAfter(response, clock.GetUtcNow())), null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // HttpClient's own timeout. The request may have reached the API, so the message may already be out;
            // retrying is still the better risk than silently dropping it.
            var seconds = client.Timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
            return (null, new SendFailure(SendFailureKind.Retryable, OutboundDispatcher.TimedOut,
                $"{api} did not answer within {seconds} s; the message may or may not have been delivered"));
        }
        catch (HttpRequestException ex)
        {
            return (null, new SendFailure(SendFailureKind.Retryable, "network", $"{api} could not be reached ({ex.HttpRequestError}): {ex.Message}"));
        }
        catch (IOException ex)
        {
            return (null, new SendFailure(SendFailureKind.Retryable, "network", $"{api}: the connection broke: {ex.Message}"));
        }
    }

    /// <summary>Parses a JSON object body, or null when the body is not one.</summary>
    public static JsonObject? ParseObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
