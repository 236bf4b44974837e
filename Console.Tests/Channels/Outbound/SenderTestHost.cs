using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Tests.Channels.Outbound;

/// <summary>
/// The real senders as the app wires them (<see cref="OutboundServiceCollectionExtensions.AddChannelSenders"/>), with
/// options pointing at local fakes, and every log line (HttpClient's included, at Trace) kept for inspection.
/// </summary>
public sealed class SenderTestHost : IAsyncDisposable
{
    public const string PhoneNumberId = "100000000000001";
    public const string PageId = "200000000000002";
    public const string InstagramAccountId = "17841400000000003";
    public const string TikTokBusinessId = "tt-business-0004";
    public const string Token = "EAAG-secret-token-never-logged";

    private readonly ServiceProvider _services;

    private SenderTestHost(ServiceProvider services, LogSink logs)
    {
        _services = services;
        Logs = logs;
    }

    public LogSink Logs { get; }

    public IServiceProvider Services => _services;

    public WhatsAppSender WhatsApp => _services.GetRequiredService<WhatsAppSender>();

    public IReadOnlyList<IChannelSender> Senders => _services.GetServices<IChannelSender>().ToList();

    public IChannelSender For(ChannelKind kind) => Senders.Single(s => s.Handles(kind));

    public static SenderTestHost Create(Uri? graph = null, Uri? tikTok = null, TimeSpan? timeout = null)
    {
        var logs = new LogSink();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<MetaOptions>().Configure(o =>
        {
            o.GraphBaseUrl = (graph ?? new Uri("http://127.0.0.1:9")).AbsoluteUri;
            o.GraphVersion = "v23.0";
        });
        services.AddOptions<TikTokOptions>().Configure(o => o.ApiBaseUrl = (tikTok ?? new Uri("http://127.0.0.1:9")).AbsoluteUri);
        services.AddChannelSenders();
        if (timeout is { } t)
        {
            // Later configuration wins: a short timeout keeps the timeout test fast.
            services.AddHttpClient("graph", c => c.Timeout = t);
            services.AddHttpClient("tiktok", c => c.Timeout = t);
        }
        return new SenderTestHost(services.BuildServiceProvider(), logs);
    }

    public static OutboundRequest Request(ChannelKind kind, OutboundContent content, string? recipient = null, string? replyTo = null,
        bool humanAgent = false) =>
        new(kind,
            kind switch
            {
                ChannelKind.WhatsApp => PhoneNumberId,
                ChannelKind.Messenger => PageId,
                ChannelKind.Instagram => InstagramAccountId,
                _ => TikTokBusinessId,
            },
            Token,
            recipient ?? kind switch
            {
                ChannelKind.WhatsApp => "5215512345678",
                ChannelKind.TikTok => "conversation-77",
                _ => "6543210987654321",
            },
            content, replyTo, humanAgent, Guid.NewGuid().ToString("N"));

    /// <summary>Asserts two JSON documents are equal, showing both when they are not.</summary>
    public static void AssertJson(string expected, JsonNode? actual)
    {
        var want = JsonNode.Parse(expected);
        // Every send carries our message id for reconciliation (asserted on its own): body-shape checks leave it out.
        if (actual is JsonObject body && want is JsonObject wanted)
        {
            actual = body = body.DeepClone().AsObject();
            if (!wanted.ContainsKey("biz_opaque_callback_data")) body.Remove("biz_opaque_callback_data");
            if (body["message"] is JsonObject message && wanted["message"] is JsonObject wantedMessage && !wantedMessage.ContainsKey("metadata"))
                message.Remove("metadata");
        }
        Assert.True(JsonNode.DeepEquals(want, actual), $"expected {want?.ToJsonString()}\n but got {actual?.ToJsonString()}");
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}

/// <summary>Keeps every formatted log line, so a test can prove a secret never reached the logs.</summary>
public sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)}";
            // Structured values too: a token could hide in a state property that the message template does not print.
            if (state is IEnumerable<KeyValuePair<string, object?>> values) line += " | " + string.Join(", ", values.Select(v => $"{v.Key}={v.Value}"));
            lines.Enqueue(line + (exception is null ? "" : " " + exception));
        }
    }
}
