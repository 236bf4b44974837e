using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Scheduling;

/// <summary>The "Scheduler" section: Quartz.NET, clustered on the app's PostgreSQL, for work that happens at a time.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduler";

    /// <summary>
    /// On in every real deployment: without it snoozes never wake and overdue handoffs never escalate. Only test hosts
    /// that exercise nothing timed turn it off, to start and stop faster.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often a node records in the job store that it is alive (a dead node's firings are recovered after that).</summary>
    [Range(1, 300)]
    public int CheckinIntervalSeconds { get; set; } = 15;

    /// <summary>
    /// How often one node looks for conversation timers that should have fired but did not (a node stopped between
    /// saving a snooze or a handoff and scheduling its trigger): they then run late instead of never.
    /// </summary>
    [Range(5, 3600)]
    public int SweepSeconds { get; set; } = 60;

    /// <summary>
    /// A scheduled message or reminder found later than this (every node was down at its time) is dropped with a system
    /// event and a line in the conversation instead of going out at a time nobody meant.
    /// </summary>
    [Range(1, 10080)]
    public int MaxLateMinutes { get; set; } = 120;

    /// <summary>
    /// Due scheduled items claimed and run per transaction (one tenant's, FOR UPDATE SKIP LOCKED): a second's trigger
    /// runs its items this many at a time, so 10,000 reminders due in one minute are some fifty transactions, not 10,000.
    /// </summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 200;
}
