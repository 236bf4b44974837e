using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Scheduling;
using Quartz;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Telemetry;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>An app whose /metrics answers to a scrape token.</summary>
public sealed class MetricsAppFactory() : ConsoleAppFactory(null, new Dictionary<string, string?> { ["Metrics:ScrapeToken"] = Token })
{
    public const string Token = "scrape-token-0123456789abcdef";
}

/// <summary>/metrics: Prometheus text for the scraper that holds the token, with the contract's instruments, moving with traffic.</summary>
public partial class MetricsEndpointTests(MetricsAppFactory app) : IClassFixture<MetricsAppFactory>
{
    // A sample line: name, optional {labels}, value, optional timestamp (Prometheus text exposition format 0.0.4).
    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*,?)?\})? (?<value>[-+]?([0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|NaN|Inf))( -?[0-9]+)?$""")]
    private static partial Regex Sample();

    [GeneratedRegex("^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)|EOF)$")]
    private static partial Regex Comment();

    private async Task<(HttpStatusCode Status, string Body)> ScrapeAsync(string? token = MetricsAppFactory.Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await app.CreateClient().SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Every line parses; returns the samples by their full series name (name{labels}).</summary>
    private static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                Assert.Matches(Comment(), line);
                continue;
            }
            var m = Sample().Match(line);
            Assert.True(m.Success, $"Not a Prometheus sample line: {line}");
            samples[m.Groups["name"].Value + m.Groups["labels"].Value] =
                double.Parse(m.Groups["value"].Value.Replace("Inf", "Infinity"), CultureInfo.InvariantCulture);
        }
        return samples;
    }

    /// <summary>This app's series only (other app instances in the test process publish on their own meter version).</summary>
    private double Sum(Dictionary<string, double> samples, string name, params string[] labels)
    {
        var scope = $"otel_scope_version=\"{app.Services.GetRequiredService<NodeIdentity>().Id}\"";
        return samples.Where(s => s.Key.StartsWith(name + "{", StringComparison.Ordinal) && s.Key.Contains(scope, StringComparison.Ordinal)
                && labels.All(l => s.Key.Contains(l, StringComparison.Ordinal)))
            .Sum(s => s.Value);
    }

    [Fact]
    public async Task Metrics_parse_as_Prometheus_text_carry_the_contract_names_and_webhook_deliveries_move_when_one_is_posted()
    {
        var tenant = await app.TenantAsync();
        var phone = ChannelData.NewExternalId();
        await app.ChannelAsync(tenant.Id, ChannelKind.WhatsApp, phone);
        var before = Parse((await ScrapeAsync()).Body);
        var accepted = Sum(before, "console_webhook_deliveries_total", "channel=\"whatsapp\"", "result=\"accepted\"");

        var hooks = new WebhookClient(app.CreateClient());
        var posted = await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(phone, "5215512345678", $"wamid.{Guid.NewGuid():N}", "hola", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        var after = await Eventually.GetAsync(async () =>
        {
            var (status, body) = await ScrapeAsync();
            Assert.Equal(HttpStatusCode.OK, status);
            return Parse(body);
        }, s => Sum(s, "console_webhook_deliveries_total", "channel=\"whatsapp\"", "result=\"accepted\"") >= accepted + 1
                && Sum(s, "console_messages_total", "direction=\"inbound\"", "channel=\"whatsapp\"") >= 1
                && s.Keys.Any(k => k.StartsWith("console_backlog{", StringComparison.Ordinal)),
            "the delivery, its stored message and the backlog gauge on /metrics", TimeSpan.FromSeconds(30));
        Assert.Contains(after.Keys, k => k.StartsWith("console_webhook_ingest_duration_milliseconds_bucket{", StringComparison.Ordinal));
        Assert.Contains(after.Keys, k => k.StartsWith("console_backlog{", StringComparison.Ordinal) && k.Contains("queue=\"webhook_inbox\""));

        // The rest of the contract is published on the same meter (they get samples once a turn or a send happens).
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        var published = new HashSet<string>();
        using (var listener = new MeterListener
               {
                   InstrumentPublished = (instrument, _) =>
                   {
                       if (instrument.Meter.Name == ConsoleTelemetry.Name && instrument.Meter.Scope == meters) lock (published) published.Add(instrument.Name);
                   },
               })
        {
            listener.Start();
        }
        foreach (var name in new[] { "console.webhook.deliveries", "console.messages", "console.agent.turns", "console.agent.turn.overhead", "console.backlog",
                     "console.outbound.sends", "console.llm.calls", "console.llm.duration" })
            Assert.Contains(name, published);
    }

    [Fact]
    public async Task A_scheduled_job_that_throws_is_counted_as_an_error_and_written_to_the_event_log_with_its_exception()
    {
        var marker = "boom-" + Guid.NewGuid().ToString("N")[..8];
        var job = "test-failing-" + marker;
        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await scheduler.ScheduleJob(
            JobBuilder.Create<FailingJob>().WithIdentity(job).UsingJobData("marker", marker).Build(),
            TriggerBuilder.Create().WithIdentity(job).StartNow().Build());

        var logged = await Eventually.GetAsync(async () =>
        {
            await using var work = app.Scopes.ForSystem("test");
            return await work.Db.SystemEvents.AsNoTracking().Where(e => e.Source == JobRunListener.Source && e.Details != null && e.Details.Contains(marker)).ToListAsync();
        }, rows => rows.Count == 1, "the failed run in the event log", TimeSpan.FromSeconds(30));
        Assert.Equal(Severity.Error, logged[0].Severity);
        Assert.Contains(job, logged[0].Message);
        Assert.Contains(nameof(InvalidOperationException), logged[0].Details);

        var samples = Parse((await ScrapeAsync()).Body);
        Assert.Equal(1, Sum(samples, "console_jobs_total", $"job=\"{job}\"", "result=\"error\""));
        Assert.Equal(0, Sum(samples, "console_jobs_total", $"job=\"{job}\"", "result=\"ok\""));
    }

    /// <summary>A job that fails the way a broken sweep would.</summary>
    public sealed class FailingJob : IJob
    {
        public ValueTask Execute(IJobExecutionContext context, CancellationToken ct) =>
            throw new InvalidOperationException("sweep broke: " + context.MergedJobDataMap.GetString("marker"));
    }

    [Fact]
    public async Task Metrics_refuse_a_scraper_without_the_token_or_with_a_wrong_one()
    {
        var (none, _) = await ScrapeAsync(token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, none);
        var (wrong, body) = await ScrapeAsync(token: "not-the-token");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.DoesNotContain("console_", body);
    }
}

/// <summary>Without Metrics:ScrapeToken the endpoint does not exist.</summary>
public class MetricsDisabledTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    [Fact]
    public async Task Metrics_answer_404_when_no_scrape_token_is_configured()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "any-token");
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync("/metrics")).StatusCode);
    }
}
