using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Telemetry;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>Traces: a webhook's processing links back to the request that brought it in (what an OTLP collector receives).</summary>
public class MetricsTraceTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    [Fact]
    public async Task Metrics_trace_links_a_deliverys_processing_to_its_ingest_span()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ConsoleTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var tenant = await app.TenantAsync();
        var phone = ChannelData.NewExternalId();
        await app.ChannelAsync(tenant.Id, ChannelKind.WhatsApp, phone);
        var posted = await new WebhookClient(app.CreateClient()).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(phone, "5215512345678", $"wamid.{Guid.NewGuid():N}", "hola", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        // Any accepted ingest span with a processing span linked to it (other classes post webhooks in this process too).
        var ingest = await Eventually.GetAsync(() => Task.FromResult(spans.FirstOrDefault(s => s.OperationName == "webhook.ingest"
                && (string?)s.GetTagItem("console.webhook.result") == "accepted" && spans.Any(p => p.OperationName == "webhook.process"
                    && p.Links.Any(l => l.Context.TraceId == s.TraceId && l.Context.SpanId == s.SpanId)))),
            s => s is not null, "a processing span linked to the delivery's ingest span", TimeSpan.FromSeconds(30));
        Assert.Equal("whatsapp", ingest!.GetTagItem("console.channel"));
    }
}
