using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Tests.Fakes;

/// <summary>One request the fake Graph API received.</summary>
public sealed record GraphRequest(string Method, string Path, string? Authorization, JsonNode? Body, DateTimeOffset At);

/// <summary>An error the fake answers with, shaped like Meta's: {"error":{message,type,code,error_data,fbtrace_id}}.</summary>
public sealed record GraphError(int Code, int HttpStatus = 400, string Message = "(#131047) Re-engagement message",
    string Type = "OAuthException", string? Details = null);

/// <summary>
/// A local stand-in for Meta's Graph API speaking its wire format over real HTTP, so the app's real client code
/// runs unchanged (point Meta:GraphBaseUrl at <see cref="BaseUrl"/>). Records every request; answers sends with
/// Meta-shaped successes, or with queued errors (<see cref="FailNext"/>); serves media metadata and bytes.
/// </summary>
public sealed class FakeGraphApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<GraphError> _errors = new();
    private readonly ConcurrentQueue<GraphRequest> _requests = new();
    private readonly ConcurrentDictionary<string, (string MimeType, byte[] Bytes)> _media = new();
    private int _sequence;

    private FakeGraphApi(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = default!;

    public IReadOnlyCollection<GraphRequest> Requests => _requests.ToArray();

    /// <summary>Message sends (POST …/messages), oldest first.</summary>
    public IReadOnlyList<GraphRequest> Sends => _requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/messages")).ToList();

    public static async Task<FakeGraphApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeGraphApi(app);
        app.MapPost("/{version}/{accountId}/messages", fake.SendAsync);
        app.MapGet("/{version}/{mediaId}", fake.MediaInfo);
        app.MapGet("/media-bytes/{mediaId}", fake.MediaBytes);
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Urls.First());
        return fake;
    }

    /// <summary>The next send is answered with this error (queued, one per send).</summary>
    public void FailNext(GraphError error) => _errors.Enqueue(error);

    public void AddMedia(string mediaId, string mimeType, byte[] bytes) => _media[mediaId] = (mimeType, bytes);

    private async Task<IResult> SendAsync(HttpContext http, string version, string accountId)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        _requests.Enqueue(new GraphRequest("POST", http.Request.Path, http.Request.Headers.Authorization, body, DateTimeOffset.UtcNow));
        if (_errors.TryDequeue(out var error))
        {
            return Results.Json(new
            {
                error = new
                {
                    message = error.Message,
                    type = error.Type,
                    code = error.Code,
                    error_data = new { messaging_product = "whatsapp", details = error.Details ?? error.Message },
                    fbtrace_id = "AbCdEf" + Interlocked.Increment(ref _sequence),
                },
            }, statusCode: error.HttpStatus);
        }
        var n = Interlocked.Increment(ref _sequence);
        if (body?["messaging_product"]?.GetValue<string>() == "whatsapp")
        {
            if (body["status"]?.GetValue<string>() == "read") return Results.Json(new { success = true });
            var to = body["to"]?.GetValue<string>() ?? "";
            return Results.Json(new
            {
                messaging_product = "whatsapp",
                contacts = new[] { new { input = to, wa_id = to } },
                messages = new[] { new { id = $"wamid.FAKE{n:D8}" } },
            });
        }
        // Messenger / Instagram Send API.
        var recipient = body?["recipient"]?["id"]?.GetValue<string>() ?? "";
        return Results.Json(new { recipient_id = recipient, message_id = $"m_FAKE{n:D8}" });
    }

    private IResult MediaInfo(HttpContext http, string version, string mediaId)
    {
        _requests.Enqueue(new GraphRequest("GET", http.Request.Path, http.Request.Headers.Authorization, null, DateTimeOffset.UtcNow));
        if (!_media.TryGetValue(mediaId, out var media))
            return Results.Json(new { error = new { message = "Unsupported get request.", type = "GraphMethodException", code = 100 } },
                statusCode: 400);
        return Results.Json(new
        {
            url = new Uri(BaseUrl, $"/media-bytes/{mediaId}").AbsoluteUri,
            mime_type = media.MimeType,
            sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(media.Bytes)),
            file_size = media.Bytes.Length,
            id = mediaId,
            messaging_product = "whatsapp",
        });
    }

    private IResult MediaBytes(HttpContext http, string mediaId)
    {
        _requests.Enqueue(new GraphRequest("GET", http.Request.Path, http.Request.Headers.Authorization, null, DateTimeOffset.UtcNow));
        return _media.TryGetValue(mediaId, out var media) ? Results.Bytes(media.Bytes, media.MimeType) : Results.NotFound();
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
