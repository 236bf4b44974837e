using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OperatorConsole.Infrastructure.Options;
using Quartz;

namespace OperatorConsole.Infrastructure.Scheduling;

public static class SchedulingServices
{
    /// <summary>Quartz's store: the <c>quartz</c> schema made by the QuartzSchedulerStore migration, Quartz's usual prefix.</summary>
    public const string TablePrefix = "quartz.qrtz_";

    /// <summary>
    /// Quartz.NET in this process, on every node: clustered ADO job store on the app's PostgreSQL (one firing per
    /// trigger across all nodes), job data as System.Text.Json, and a readiness check that fails while the scheduler
    /// is not running (standby, shut down) or cannot reach its store.
    /// </summary>
    public static IServiceCollection AddConsoleScheduler(this IServiceCollection services, IConfiguration config, string connectionString)
    {
        services.AddSection<SchedulerOptions>(SchedulerOptions.Section);
        services.AddSingleton<ConversationTimers>();
        services.AddSingleton<ConversationTimerInterceptor>();
        services.AddSingleton<ScheduledItems>();
        // Follow-ups: stopped inside the save that makes them pointless, planned after the bot answers, sent by their runner.
        services.AddSingleton<FollowUps.FollowUpSettings>();
        services.AddSingleton<Events.IEventRecorder, FollowUps.FollowUpStopper>();
        services.AddSingleton<FollowUps.FollowUpPlanner>();
        services.AddSingleton<Events.IDomainEventHandler>(sp => sp.GetRequiredService<FollowUps.FollowUpPlanner>());
        services.AddSingleton<IScheduledItemRunner, FollowUps.FollowUpRunner>();

        var options = config.GetSection(SchedulerOptions.Section).Get<SchedulerOptions>() ?? new SchedulerOptions();
        if (!options.Enabled) return services;

        services.AddQuartz(q =>
        {
            // One name on every node: that is what makes them one cluster on the shared tables.
            q.ConfigureScheduler(s => s.InstanceName = "Console");
            q.AddJobListener<JobRunListener>();
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.UseSystemTextJsonSerializer();
                store.UseClustering(c => c.CheckinInterval = TimeSpan.FromSeconds(options.CheckinIntervalSeconds));
                store.ConfigureStore(s =>
                {
                    s.TablePrefix = TablePrefix;
                    // After a database outage the scheduler's loops wait this long between attempts at the store: Quartz's
                    // 15 s made a message due just after an outage go out up to 1.5 minutes late (docs/benchmarks.md,
                    // "Database outage"). A refused connection every 2 s costs nothing.
                    s.DbRetryInterval = TimeSpan.FromSeconds(2);
                });
            });
            // What every due second's trigger fires (ScheduledItems.TriggerAsync): durable, so the triggers are all it takes.
            q.AddJob<FireDueScheduledItemsJob>(j => j.WithIdentity(ScheduledItems.DueJob).StoreDurably().RequestRecovery());
            // The safety net under the per-conversation triggers (see ConversationTimers.SweepAsync).
            q.ScheduleJob<ConversationTimerSweepJob>(t => t
                .WithIdentity(ConversationTimerSweepJob.Name)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(options.SweepSeconds)).RepeatForever()),
                j => j.WithIdentity(ConversationTimerSweepJob.Name));
            q.ScheduleJob<ScheduledItemSweepJob>(t => t
                .WithIdentity(ScheduledItemSweepJob.Name)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(options.SweepSeconds)).RepeatForever()),
                j => j.WithIdentity(ScheduledItemSweepJob.Name));
            // Trial reminders and trial-ended notices (each sent once; the entitlement rule stops the bot by time).
            q.ScheduleJob<Billing.TrialNoticeJob>(t => t
                .WithIdentity(Billing.TrialNoticeJob.Name)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(options.SweepSeconds)).RepeatForever()),
                j => j.WithIdentity(Billing.TrialNoticeJob.Name));
            // What is left of expired credit grants is written off (once per grant, whichever node runs it).
            q.ScheduleJob<Billing.CreditExpiryJob>(t => t
                .WithIdentity(Billing.CreditExpiryJob.Name)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromHours(1)).RepeatForever()),
                j => j.WithIdentity(Billing.CreditExpiryJob.Name));
            // A tenant whose AI spend jumps today is flagged to the command center (once per tenant per day).
            q.ScheduleJob<Platform.SpendAlertJob>(t => t
                .WithIdentity(Platform.SpendAlertJob.Name)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(
                    config.GetSection("Platform:SpendAlert").GetValue("EveryMinutes", 15))).RepeatForever()),
                j => j.WithIdentity(Platform.SpendAlertJob.Name));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHealthChecks().AddQuartz(o =>
        {
            o.Name = "scheduler";
            o.Tags.Add("ready");
            // A node whose scheduler is paused fires nothing: not ready, rather than quietly "degraded".
            o.StandbyStatus = HealthStatus.Unhealthy;
        });
        return services;
    }
}
