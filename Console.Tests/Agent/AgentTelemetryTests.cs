using OperatorConsole.Infrastructure.Telemetry;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>
/// A turn's figures are published as metrics and traces (what the command center and a metrics exporter read), not
/// only written in a log line.
/// </summary>
public class AgentTelemetryTests(AgentApp agent) : IClassFixture<AgentApp>
{
    [Fact]
    public async Task An_answered_turn_publishes_its_duration_stages_and_model_time_and_a_trace_of_its_stages()
    {
        // Only this app's meter: other test classes run their own apps (and turns) at the same time.
        var meters = agent.App.Services.GetRequiredService<IMeterFactory>();
        var measured = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ConsoleTelemetry.Name && instrument.Meter.Scope == meters) l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            measured.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();

        var spans = new ConcurrentQueue<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ConsoleTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(tracing);

        var customer = await TestCustomer.CreateAsync(agent.App);
        await customer.SayAsync($"{customer.Marker} hola, ¿qué horarios tienen?");
        await customer.WaitForBotMessagesAsync(1);
        var conversation = await customer.ConversationAsync();

        var turn = await Eventually.GetAsync(
            () => Task.FromResult(spans.FirstOrDefault(s => s.OperationName == "agent.turn" && Equals(s.GetTagItem("console.conversation_id"), conversation.Id))),
            s => s is not null, "the turn's trace");
        Assert.Equal("answered", turn!.GetTagItem("console.turn.outcome"));
        var stages = spans.Where(s => s.ParentSpanId == turn.SpanId).Select(s => s.OperationName).ToList();
        Assert.Equal(["agent.prepare", "agent.decide", "agent.commit"], stages);

        listener.RecordObservableInstruments();
        var answered = measured.Where(m => m.Instrument == "console.agent.turn.duration" && (string?)m.Tags["outcome"] == "answered").ToList();
        Assert.NotEmpty(answered);
        Assert.All(answered, m => Assert.True(m.Value > 0));
        foreach (var stage in new[] { "prepare", "decide", "commit" })
            Assert.Contains(measured, m => m.Instrument == "console.agent.turn.stage.duration" && (string?)m.Tags["stage"] == stage);
        Assert.Contains(measured, m => m.Instrument == "console.agent.model.duration");
        Assert.Contains(measured, m => m.Instrument == "console.agent.turn.overhead");
    }
}
