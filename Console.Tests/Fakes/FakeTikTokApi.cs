using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Tests.Fakes;

/// <summary>One request the fake TikTok API received.</summary>
public sealed record TikTokRequest(string Method, string Path, string? AccessToken, JsonNode? Body, DateTimeOffset At);

/// <summary>
/// An error the fake answers with, shaped like the Business API's: {"code","message","request_id","data":{}}. TikTok
/// answers most errors with HTTP 200 and a non-zero code.
/// </summary>
public sealed record TikTokError(int Code, string Message = "Invalid parameter", int HttpStatus = 200);

/// <summary>
/// A local stand-in for TikTok's Business API message send over real HTTP (point TikTok:ApiBaseUrl at
/// <see cref="BaseUrl"/>). Records every request; answers with TikTok-shaped successes or queued errors
/// (<see cref="FailNext"/>). Provisional, like the API it copies.
/// </summary>
public sealed class FakeTikTokApi : IAsyncDisposable
{
    public const string SendPath = "/open_api/v1.3/business/message/send/";
    public const string BusinessGetPath = "/open_api/v1.3/business/get/";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<TikTokError> _errors = new();
    private readonly ConcurrentQueue<TikTokRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _readableByToken = new();
    private int _sequence;

    private FakeTikTokApi(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = default!;

    public IReadOnlyList<TikTokRequest> Requests => _requests.ToArray();

    public static async Task<FakeTikTokApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeTikTokApi(app);
        // Cast so the route handler overload runs and writes the returned IResult.
        app.MapPost(SendPath, (Func<HttpContext, Task<IResult>>)fake.SendAsync);
        app.MapGet(BusinessGetPath, (Func<HttpContext, IResult>)fake.BusinessGet);
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Urls.First());
        return fake;
    }

    /// <summary>The next send is answered with this error (queued, one per send).</summary>
    public void FailNext(TikTokError error) => _errors.Enqueue(error);

    /// <summary>This Access-Token can read these business ids with business/get (the ownership check on connect).</summary>
    public void GrantRead(string accessToken, params string[] businessIds)
    {
        var ids = _readableByToken.GetOrAdd(accessToken, _ => new ConcurrentDictionary<string, bool>());
        foreach (var id in businessIds) ids[id] = true;
    }

    private IResult BusinessGet(HttpContext http)
    {
        string token = http.Request.Headers["Access-Token"].ToString();
        _requests.Enqueue(new TikTokRequest("GET", http.Request.Path, token, null, DateTimeOffset.UtcNow));
        var businessId = http.Request.Query["business_id"].ToString();
        var requestId = $"2026112321133200000000001{Interlocked.Increment(ref _sequence):D4}";
        if (!_readableByToken.TryGetValue(token, out var readable))
            return Results.Json(new { code = 40105, message = "The access token is invalid or has been revoked.", request_id = requestId, data = new { } });
        if (!readable.ContainsKey(businessId))
            return Results.Json(new { code = 40001, message = $"No permission to access business_id {businessId}.", request_id = requestId, data = new { } });
        return Results.Json(new { code = 0, message = "OK", request_id = requestId, data = new { display_name = "Negocio " + businessId } });
    }

    private async Task<IResult> SendAsync(HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        _requests.Enqueue(new TikTokRequest("POST", http.Request.Path, http.Request.Headers["Access-Token"], body, DateTimeOffset.UtcNow));
        var n = Interlocked.Increment(ref _sequence);
        var requestId = $"2026112321133200000000000{n:D4}";
        if (_errors.TryDequeue(out var error))
            return Results.Json(new { code = error.Code, message = error.Message, request_id = requestId, data = new { } }, statusCode: error.HttpStatus);
        return Results.Json(new
        {
            code = 0,
            message = "OK",
            request_id = requestId,
            data = new { message = new { message_id = $"tt.FAKE{n:D8}" } },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
