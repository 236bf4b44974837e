using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
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
        using var listener = RecordedSpans.Into(spans);

        var tenant = await app.TenantAsync();
        var phone = ChannelData.NewExternalId();
        await app.ChannelAsync(tenant.Id, ChannelKind.WhatsApp, phone);
        var wamid = $"wamid.{Guid.NewGuid():N}";
        var posted = await new WebhookClient(app.CreateClient()).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(phone, "5215512345678", wamid, "hola", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        // This delivery's own ingest span, by the trace context stored with its row (other classes post webhooks in this
        // process too, and the listener hears all of them).
        var stored = await Eventually.GetAsync(async () =>
        {
            await using var work = app.Scopes.ForSystem("test: the delivery's trace");
            return await work.Db.Database.SqlQuery<string>(
                $"SELECT trace_parent AS \"Value\" FROM webhook_deliveries WHERE position(convert_to({wamid}, 'UTF8') in body) > 0").FirstOrDefaultAsync();
        }, t => t is not null, "the delivery stored with its trace context");
        Assert.True(ActivityContext.TryParse(stored, null, out var context));
        var ingest = await Eventually.GetAsync(() => Task.FromResult(spans.FirstOrDefault(s => s.OperationName == "webhook.ingest"
                && s.TraceId == context.TraceId && s.SpanId == context.SpanId && spans.Any(p => p.OperationName == "webhook.process"
                    && p.Links.Any(l => l.Context.TraceId == s.TraceId && l.Context.SpanId == s.SpanId)))),
            s => s is not null, "a processing span linked to the delivery's ingest span", TimeSpan.FromSeconds(30));
        Assert.Equal(("whatsapp", "accepted"), ((string?)ingest!.GetTagItem("console.channel"), (string?)ingest.GetTagItem("console.webhook.result")));
    }
}

/// <summary>Traces from webhook to reply: the agent turn links to the processing of what the customer wrote, and the send
/// continues the turn's trace, so a collector shows one path from the request to the reply going out.</summary>
public class ReplyTraceTests(AgentApp agent) : IClassFixture<AgentApp>
{
    [Fact]
    public async Task Metrics_trace_follows_a_customer_message_from_its_webhook_through_the_agent_turn_to_the_send()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = RecordedSpans.Into(spans);

        var customer = await TestCustomer.CreateAsync(agent.App);
        await customer.SayAsync("Hola, ¿qué horarios tienen? " + customer.Marker);
        await customer.WaitForBotMessagesAsync(1);
        var conversation = (await customer.ConversationAsync()).Id;

        var (ingest, process, turn, send) = await Eventually.GetAsync(() =>
        {
            var all = spans.ToArray();
            var t = all.FirstOrDefault(s => s.OperationName == "agent.turn" && Equals(s.GetTagItem("console.conversation_id"), conversation) && s.Links.Any());
            var p = t is null ? null : all.FirstOrDefault(s => s.OperationName == "webhook.process" && t.Links.Any(l => l.Context.SpanId == s.SpanId));
            var i = p is null ? null : all.FirstOrDefault(s => s.OperationName == "webhook.ingest" && p.Links.Any(l => l.Context.SpanId == s.SpanId));
            var o = t is null ? null : all.FirstOrDefault(s => s.OperationName == "outbound.send" && Equals(s.GetTagItem("console.conversation_id"), conversation));
            return Task.FromResult((i, p, t, o));
        }, x => x.i is not null && x.o is not null, "the ingest, processing, turn and send spans of the reply", TimeSpan.FromSeconds(30));

        Assert.Equal("whatsapp", ingest!.GetTagItem("console.channel"));
        // The send continues the turn's trace: its parent is the commit that wrote the reply, inside the turn.
        Assert.Equal(turn!.TraceId, send!.TraceId);
        var commit = spans.Single(s => s.SpanId == send.ParentSpanId);
        Assert.Equal("agent.commit", commit.OperationName);
        Assert.Equal(turn.SpanId, commit.ParentSpanId);
        Assert.Contains(turn.Links, l => l.Context.TraceId == process!.TraceId && l.Context.SpanId == process.SpanId);
    }
}

/// <summary>Records every span of the app's activity source, as an exporter would, until disposed.</summary>
internal static class RecordedSpans
{
    public static ActivityListener Into(ConcurrentQueue<Activity> spans)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ConsoleTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
