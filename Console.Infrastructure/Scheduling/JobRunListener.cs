using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Telemetry;
using Quartz;

namespace OperatorConsole.Infrastructure.Scheduling;

/// <summary>
/// Every run of a scheduled job, counted by job and result in the platform's figures; a run that throws is also written
/// to the command center's event log (error, source <c>scheduler</c>, the exception in its details), so a sweep that
/// keeps failing is seen there instead of only in a node's log. The job runs again on its next firing.
/// </summary>
public sealed class JobRunListener(ConsoleTelemetry telemetry, SystemEventWriter events, ILogger<JobRunListener> log) : IJobListener
{
    public const string Source = "scheduler";

    async ValueTask IJobListener.JobWasExecuted(IJobExecutionContext context, JobExecutionException? jobException, CancellationToken ct)
    {
        var job = context.JobDetail.Key.Name;
        // A scheduled item's trigger is named by its second (or, stored before that, its item): one series for them all.
        telemetry.JobRan(context.JobDetail.Key.Group == ScheduledItems.Group ? ScheduledItems.Group : job, jobException is null, context.JobRunTime);
        if (jobException is null) return;
        var error = jobException.InnerException ?? jobException;
        log.LogError(error, "Scheduled job {Job} failed", job);
        await events.WriteAsync(Severity.Error, Source,
            new TextRef("SystemEvent.JobFailed", $"The scheduled job {job} failed: {error.Message}", job, error.Message),
            details: error.ToString(), ct: CancellationToken.None);
    }
}
