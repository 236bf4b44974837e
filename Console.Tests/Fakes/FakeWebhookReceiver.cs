using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Tests.Fakes;

/// <summary>
/// A tenant's system receiving outbound webhooks on 127.0.0.1: records every request (path, raw body, headers) and
/// answers per path: /ok 200, /fail 500, /flaky 500 on the first request of each event id then 200, /slow after 12 s.
/// </summary>
public sealed class FakeWebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _seen = new();

    private FakeWebhookReceiver(WebApplication app) => _app = app;

    public sealed record Received(string Path, string Body, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At);

    public ConcurrentQueue<Received> Requests { get; } = new();
    public int Port { get; private set; }
    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    public IReadOnlyList<Received> To(string path) => Requests.Where(r => r.Path == path).ToList();

    public static async Task<FakeWebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new FakeWebhookReceiver(app);
        app.Use(async (http, next) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            // Copied: the request's header collection is reused once the request ends.
            receiver.Requests.Enqueue(new Received(http.Request.Path + http.Request.QueryString, body,
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), DateTimeOffset.UtcNow));
            await next(http);
        });
        app.MapPost("/ok", () => Results.Text("thanks"));
        app.MapPost("/fail", () => Results.Text("receiver broke", statusCode: 500));
        app.MapPost("/flaky", (HttpRequest request) =>
            receiver._seen.AddOrUpdate(request.Headers["X-Console-Event-Id"].ToString(), 1, (_, n) => n + 1) == 1
                ? Results.Text("try later", statusCode: 500)
                : Results.Text("ok now"));
        app.MapPost("/slow", async (CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(12), ct);
            return Results.Text("late");
        });
        await app.StartAsync();
        receiver.Port = new Uri(app.Urls.First()).Port;
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
