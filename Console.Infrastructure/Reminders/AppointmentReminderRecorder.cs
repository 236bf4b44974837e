using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Events;
using OperatorConsole.Infrastructure.Scheduling;

namespace OperatorConsole.Infrastructure.Reminders;

/// <summary>Reminder items an appointment change created (with their times) and cancelled: their triggers follow after the commit.</summary>
public sealed record AppointmentRemindersChanged(Guid TenantId, Guid ConversationId, IReadOnlyList<(Guid Id, DateTimeOffset At)> Scheduled,
    IReadOnlyList<Guid> Unscheduled) : IDomainEvent;

/// <summary>
/// Keeps an appointment's reminder items in step with it inside the very save that books, moves, cancels or closes it:
/// a rolled-back move leaves the old reminders, a committed cancel never leaves one behind. The Quartz triggers of their
/// due seconds are set after the commit (<see cref="AppointmentReminderTriggers"/>); a lost one is caught by the scheduled
/// item sweep.
/// </summary>
public sealed class AppointmentReminderRecorder(TimeProvider clock) : IEventRecorder
{
    public void Stage(AppDbContext db, IReadOnlyList<IDomainEvent> events)
    {
        foreach (var happened in events)
        {
            switch (happened)
            {
                case AppointmentBooked b when b.ConversationId is { } conversationId:
                    Announce(db, b.TenantId, conversationId, Plan(db, b.TenantId, conversationId, b.AppointmentId, b.StartsAt), []);
                    break;
                case AppointmentMoved m when m.ConversationId is { } conversationId:
                    var cancelled = CancelPending(db, m.AppointmentId);
                    Announce(db, m.TenantId, conversationId, Plan(db, m.TenantId, conversationId, m.AppointmentId, m.StartsAt), cancelled);
                    break;
                case AppointmentCancelled c when c.ConversationId is { } conversationId:
                    Announce(db, c.TenantId, conversationId, [], CancelPending(db, c.AppointmentId));
                    break;
                // Completed or no-show: the appointment is over, nothing more to remind of.
                case AppointmentStatusChanged { To: "completed" or "no_show" } s when s.ConversationId is { } conversationId:
                    Announce(db, s.TenantId, conversationId, [], CancelPending(db, s.AppointmentId));
                    break;
            }
        }
    }

    public void Unstage(AppDbContext db)
    {
        foreach (var entry in db.ChangeTracker.Entries<ScheduledItem>()
                     .Where(e => e.Entity.Kind == ScheduledItemKind.AppointmentReminder && e.State is EntityState.Added or EntityState.Modified).ToList())
        {
            if (entry.State == EntityState.Added)
            {
                entry.State = EntityState.Detached;
                continue;
            }
            entry.CurrentValues.SetValues(entry.OriginalValues);
            entry.State = EntityState.Unchanged;
        }
    }

    // Appointment changes are tracked entity changes; a set-based write of one would have no rows to stage reminders on.
    public void Write(AppDbContext db, IReadOnlyList<IDomainEvent> events) { }

    public Task WriteAsync(AppDbContext db, IReadOnlyList<IDomainEvent> events, CancellationToken ct) => Task.CompletedTask;

    private static void Announce(AppDbContext db, Guid tenantId, Guid conversationId, List<ScheduledItem> scheduled, List<Guid> unscheduled)
    {
        if (scheduled.Count == 0 && unscheduled.Count == 0) return;
        db.Raise(new AppointmentRemindersChanged(tenantId, conversationId, scheduled.Select(i => (i.Id, i.At)).ToList(), unscheduled));
        db.Raise(new ScheduledItemsChanged(tenantId, conversationId));
    }

    private List<ScheduledItem> Plan(AppDbContext db, Guid tenantId, Guid conversationId, Guid appointmentId, DateTimeOffset startsAt)
    {
        // Runs inside SaveChanges, which has no async hook for recorders: these are two small indexed reads.
        var conversation = db.Conversations.Find(conversationId);
        if (conversation is null) return [];
        var offsets = db.ReminderSettings.AsNoTracking().Where(r => r.TenantId == tenantId).Select(r => r.OffsetsMinutes).FirstOrDefault()
            ?? [.. ReminderSettings.DefaultOffsets];
        var zone = ReminderZone.Of(db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.TimeZone).FirstOrDefault());
        var now = clock.GetUtcNow();
        var items = ReminderTimes.Plan(startsAt, offsets, zone, now).Select(at => ScheduledItem.ForAppointment(conversation, appointmentId, at, now)).ToList();
        db.ScheduledItems.AddRange(items);
        return items;
    }

    private List<Guid> CancelPending(AppDbContext db, Guid appointmentId)
    {
        var now = clock.GetUtcNow();
        var cancelled = new List<Guid>();
        // Booked and moved in one save: the reminders planned a moment ago are not stored yet.
        foreach (var entry in db.ChangeTracker.Entries<ScheduledItem>()
                     .Where(e => e.State == EntityState.Added && e.Entity.AppointmentId == appointmentId).ToList())
            entry.State = EntityState.Detached;
        foreach (var item in db.ScheduledItems.Where(i => i.AppointmentId == appointmentId && i.Status == ScheduledItemStatus.Pending).ToList())
        {
            if (item.Status != ScheduledItemStatus.Pending) continue;
            item.Cancel(null, now);
            cancelled.Add(item.Id);
        }
        return cancelled;
    }
}

public static class ReminderZone
{
    public static TimeZoneInfo Of(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}

/// <summary>After the commit: the Quartz triggers of the reminders' due seconds (set off the committing thread).</summary>
public sealed class AppointmentReminderTriggers(IServiceProvider services, ILogger<AppointmentReminderTriggers> log) : IDomainEventHandler
{
    public void Handle(IReadOnlyList<IDomainEvent> events)
    {
        List<AppointmentRemindersChanged>? changes = null;
        foreach (var e in events)
            if (e is AppointmentRemindersChanged c) (changes ??= []).Add(c);
        if (changes is null) return;
        // Resolved here, not injected: the scheduler's services depend (through the database) on the event dispatcher.
        var items = services.GetRequiredService<ScheduledItems>();
        _ = Task.Run(async () =>
        {
            try
            {
                // One trigger per due second, shared: a save that books hundreds of appointments sets each second once.
                // A cancelled reminder needs nothing here: its row is no longer pending, so its second's firing skips it.
                foreach (var (tenantId, id, at) in changes.SelectMany(c => c.Scheduled.Select(s => (c.TenantId, s.Id, s.At)))
                             .DistinctBy(s => ScheduledItems.SecondOf(s.At)))
                    await items.TriggerAsync(tenantId, id, at, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The rows are committed: the sweep runs a reminder whose trigger is missing.
                log.LogError(ex, "Could not set the triggers of appointment reminders");
            }
        });
    }
}
