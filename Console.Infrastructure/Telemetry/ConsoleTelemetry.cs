using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OperatorConsole.Infrastructure.Telemetry;

/// <summary>
/// The platform's figures, published once for every reader: the <see cref="Meter"/> <c>OperatorConsole</c> (read by
/// <c>/metrics</c>, an OTLP collector when configured, and the command center's dashboard) and the
/// <see cref="ActivitySource"/> of the same name whose spans follow a webhook from ingest to processing, an agent turn
/// and its stages, and a send. The instrument names are a contract (docs: interfaces, "Health and operations").
/// </summary>
public sealed class ConsoleTelemetry
{
    public const string Name = "OperatorConsole";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>Instrument names the dashboard reads back (Prometheus adds <c>_total</c> to counters).</summary>
    public const string WebhookDeliveries = "console.webhook.deliveries", WebhookIngest = "console.webhook.ingest.duration",
        Messages = "console.messages", AgentTurns = "console.agent.turns", AgentTurnDuration = "console.agent.turn.duration",
        AgentTurnOverhead = "console.agent.turn.overhead", OutboundSends = "console.outbound.sends", Backlog = "console.backlog",
        LlmCalls = "console.llm.calls", LlmDuration = "console.llm.duration", Jobs = "console.jobs";

    private readonly TimeProvider _clock;
    private readonly Histogram<double> _turn;
    private readonly Histogram<double> _overhead;
    private readonly Histogram<double> _stage;
    private readonly Histogram<double> _model;
    private readonly Counter<long> _turns;
    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _ingest;
    private readonly Counter<long> _messages;
    private readonly Counter<long> _sends;
    private readonly Counter<long> _llmCalls;
    private readonly Histogram<double> _llmDuration;
    private readonly Counter<long> _jobs;
    private readonly Histogram<double> _jobDuration;
    private volatile IReadOnlyDictionary<string, long> _backlog = new Dictionary<string, long>();

    /// <summary>The meter's tag naming this app instance.</summary>
    public const string InstanceTag = "service.instance.id";

    public ConsoleTelemetry(IMeterFactory meters, NodeIdentity node, TimeProvider clock)
    {
        _clock = clock;
        // The version names the instance too: OpenTelemetry tells streams apart by meter name and version (not tags), and
        // several instances in one process (tests) must not share a stream that ends when one of them stops.
        var meter = meters.Create(new MeterOptions(Name) { Version = node.Id, Tags = [new KeyValuePair<string, object?>(InstanceTag, node.Id)] });
        _turn = meter.CreateHistogram<double>(AgentTurnDuration, "ms", "An agent turn from claim to commit, by outcome.");
        _overhead = meter.CreateHistogram<double>(AgentTurnOverhead, "ms", "An agent turn's own cost: its duration minus the model's time.");
        _stage = meter.CreateHistogram<double>("console.agent.turn.stage.duration", "ms", "Prepare, decide (without the model) and commit of a turn.");
        _model = meter.CreateHistogram<double>("console.agent.model.duration", "ms", "Time a turn waited for the model.");
        _turns = meter.CreateCounter<long>(AgentTurns, "{turn}", "Agent turns ended, by outcome (answered, dropped, skipped, failed).");
        _deliveries = meter.CreateCounter<long>(WebhookDeliveries, "{delivery}", "Channel webhooks received, by channel and result.");
        _ingest = meter.CreateHistogram<double>(WebhookIngest, "ms", "A channel webhook from request to answer (signature, parse, durable store).");
        _messages = meter.CreateCounter<long>(Messages, "{message}", "Messages stored, by direction and channel.");
        _sends = meter.CreateCounter<long>(OutboundSends, "{send}", "Send attempts to a channel, by channel and result (sent, retry, failed).");
        _llmCalls = meter.CreateCounter<long>(LlmCalls, "{call}", "Calls to a language model, by model and result (ok, error).");
        _llmDuration = meter.CreateHistogram<double>(LlmDuration, "ms", "A language model call's wall time, by model.");
        _jobs = meter.CreateCounter<long>(Jobs, "{run}", "Scheduled job runs, by job and result (ok, error).");
        _jobDuration = meter.CreateHistogram<double>("console.jobs.duration", "ms", "A scheduled job run's wall time, by job.");
        meter.CreateObservableGauge(Backlog, () => _backlog.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("queue", kv.Key))),
            "{item}", "Work waiting, by queue (webhook_inbox, agent_turns, sends, outbound_webhooks, jobs_due, jobs_misfired).");
    }

    /// <summary>Starts timing a turn that was just claimed.</summary>
    public TurnTiming Start() => new(this, _clock);

    public void WebhookReceived(string channel, string result, TimeSpan took)
    {
        var tag = new KeyValuePair<string, object?>("channel", channel);
        _deliveries.Add(1, tag, new KeyValuePair<string, object?>("result", result));
        _ingest.Record(took.TotalMilliseconds, tag);
    }

    public void MessageStored(string direction, string channel) =>
        _messages.Add(1, new KeyValuePair<string, object?>("direction", direction), new KeyValuePair<string, object?>("channel", channel));

    public void SendAttempted(string channel, string result) =>
        _sends.Add(1, new KeyValuePair<string, object?>("channel", channel), new KeyValuePair<string, object?>("result", result));

    public void ModelCalled(string model, bool ok, TimeSpan took)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        _llmCalls.Add(1, tag, new KeyValuePair<string, object?>("result", ok ? "ok" : "error"));
        _llmDuration.Record(took.TotalMilliseconds, tag);
    }

    public void JobRan(string job, bool ok, TimeSpan took)
    {
        var tag = new KeyValuePair<string, object?>("job", job);
        _jobs.Add(1, tag, new KeyValuePair<string, object?>("result", ok ? "ok" : "error"));
        _jobDuration.Record(took.TotalMilliseconds, tag);
    }

    /// <summary>A turn that threw (it is given back and retried): counted apart from the turns that ended.</summary>
    public void TurnFailed() => _turns.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));

    /// <summary>The latest backlog counts (read cheaply by the dashboard's probe), reported by the gauge when scraped.</summary>
    public void ReportBacklog(IReadOnlyDictionary<string, long> backlog) => _backlog = backlog;

    internal void Record(TurnFigures figures, string outcome)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _turns.Add(1, tag);
        _turn.Record(figures.Total.TotalMilliseconds, tag);
        _overhead.Record(figures.Overhead.TotalMilliseconds, tag);
        _model.Record(figures.Model.TotalMilliseconds, tag);
        _stage.Record(figures.Prepare.TotalMilliseconds, new KeyValuePair<string, object?>("stage", "prepare"));
        if (outcome == TurnTiming.Skipped) return;
        _stage.Record(figures.Decide.TotalMilliseconds, new KeyValuePair<string, object?>("stage", "decide"));
        _stage.Record(figures.Commit.TotalMilliseconds, new KeyValuePair<string, object?>("stage", "commit"));
    }
}

/// <summary>One turn's figures: total, the model's share, and the turn's own stages (decide without the model).</summary>
public readonly record struct TurnFigures(TimeSpan Total, TimeSpan Model, TimeSpan Prepare, TimeSpan Decide, TimeSpan Commit)
{
    public TimeSpan Overhead => Total - Model;
}

/// <summary>Marks the end of each stage of one turn; <see cref="Finish"/> publishes the figures.</summary>
public sealed class TurnTiming
{
    public const string Answered = "answered", Dropped = "dropped", Skipped = "skipped";

    private readonly ConsoleTelemetry _telemetry;
    private readonly TimeProvider _clock;
    private readonly long _started;
    private readonly System.Runtime.CompilerServices.StrongBox<TimeSpan> _model = OperatorConsole.Infrastructure.Agent.ModelTimer.Start();
    private TimeSpan _prepared, _decided;

    internal TurnTiming(ConsoleTelemetry telemetry, TimeProvider clock)
    {
        _telemetry = telemetry;
        _clock = clock;
        _started = clock.GetTimestamp();
    }

    public void Prepared() => _prepared = _clock.GetElapsedTime(_started);

    public void Decided() => _decided = _clock.GetElapsedTime(_started);

    public TurnFigures Finish(string outcome)
    {
        var total = _clock.GetElapsedTime(_started);
        if (outcome == Skipped) _prepared = _decided = total;
        var model = _model.Value;
        var figures = new TurnFigures(total, model, _prepared, _decided - _prepared - model, total - _decided);
        _telemetry.Record(figures, outcome);
        Activity.Current?.SetTag("console.turn.outcome", outcome);
        return figures;
    }
}
