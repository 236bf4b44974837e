using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The agent's figures, published once for every reader: <see cref="Meter"/> instruments (the command center and a
/// metrics exporter read them) and an <see cref="ActivitySource"/> whose spans cover a turn and its stages (a trace
/// exporter links them to the webhook that caused the turn).
/// </summary>
public sealed class AgentTelemetry
{
    public const string Name = "OperatorConsole.Agent";

    public static readonly ActivitySource Source = new(Name);

    private readonly TimeProvider _clock;
    private readonly Histogram<double> _turn;
    private readonly Histogram<double> _overhead;
    private readonly Histogram<double> _stage;
    private readonly Histogram<double> _model;

    public AgentTelemetry(IMeterFactory meters, TimeProvider clock)
    {
        _clock = clock;
        var meter = meters.Create(Name);
        _turn = meter.CreateHistogram<double>("console.agent.turn.duration", "ms", "An agent turn from claim to commit, by outcome.");
        _overhead = meter.CreateHistogram<double>("console.agent.turn.overhead", "ms", "An agent turn's own cost: its duration minus the model's time.");
        _stage = meter.CreateHistogram<double>("console.agent.turn.stage.duration", "ms", "Prepare, decide (without the model) and commit of a turn.");
        _model = meter.CreateHistogram<double>("console.agent.model.duration", "ms", "Time a turn waited for the model.");
    }

    /// <summary>Starts timing a turn that was just claimed.</summary>
    public TurnTiming Start() => new(this, _clock);

    internal void Record(TurnFigures figures, string outcome)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
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

    private readonly AgentTelemetry _telemetry;
    private readonly TimeProvider _clock;
    private readonly long _started;
    private readonly System.Runtime.CompilerServices.StrongBox<TimeSpan> _model = ModelTimer.Start();
    private TimeSpan _prepared, _decided;

    internal TurnTiming(AgentTelemetry telemetry, TimeProvider clock)
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
