using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Events;

/// <summary>
/// Takes the events aggregates recorded when a save stores them, and hands them to the <see cref="DomainEventDispatcher"/>
/// once they are committed: at the end of the save when it ran on its own, or when the caller's transaction commits.
/// A failed save or a rolled-back transaction drops them: nothing is announced that others cannot read. Timeline rows
/// (<see cref="ConversationEvent"/>) added by the save count as events of their conversation, so a note or a tool call
/// is announced like any state change.
/// </summary>
public sealed class DomainEventInterceptor(DomainEventDispatcher dispatcher, IEnumerable<IEventRecorder> recorders)
    : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly IEventRecorder[] _recorders = recorders.ToArray();

    public DomainEventDispatcher Dispatcher => dispatcher;

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        Stage(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        Stage(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        if (eventData.Context is AppDbContext db && Unrecorded(db) is { Count: > 0 } events)
            foreach (var recorder in _recorders) recorder.Write(db, events);
        return result;
    }

    public async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        // Set-based writes raised inside the transaction (RaiseWritten) and never followed by a save: their rows go in now,
        // still inside the transaction, so they commit or roll back with the change.
        if (eventData.Context is AppDbContext db && Unrecorded(db) is { Count: > 0 } events)
            foreach (var recorder in _recorders) await recorder.WriteAsync(db, events, cancellationToken);
        return result;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context is AppDbContext { Database.CurrentTransaction: null } db) Flush(db);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is AppDbContext { Database.CurrentTransaction: null } db) Flush(db);
        return ValueTask.FromResult(result);
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        // Inside the caller's transaction the rollback that follows drops them; on its own the save changed nothing.
        if (eventData.Context is AppDbContext { Database.CurrentTransaction: null } db)
        {
            db.DropPendingEvents();
            foreach (var recorder in _recorders) recorder.Unstage(db);
        }
    }

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        SaveChangesFailed(eventData);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is AppDbContext db) Flush(db);
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is AppDbContext db) db.DropPendingEvents();
    }

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData)
    {
        if (eventData.Context is AppDbContext db) db.DropPendingEvents();
    }

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionFailed(transaction, eventData);
        return Task.CompletedTask;
    }

    /// <summary>Announces now what a set-based write outside any transaction already committed.</summary>
    internal void Announce(AppDbContext db, IReadOnlyList<IDomainEvent> events)
    {
        foreach (var recorder in _recorders) recorder.Write(db, events);
        dispatcher.Dispatch(events);
    }

    /// <summary>Hands the events collected since the last recording to the recorders, which add their rows to this save.</summary>
    private void Stage(DbContext? context)
    {
        if (context is not AppDbContext db || _recorders.Length == 0) return;
        if (Unrecorded(db) is { Count: > 0 } events)
            foreach (var recorder in _recorders) recorder.Stage(db, events);
    }

    private static List<IDomainEvent> Unrecorded(AppDbContext db)
    {
        var events = db.PendingEvents.Count > db.RecordedEvents ? db.PendingEvents.GetRange(db.RecordedEvents, db.PendingEvents.Count - db.RecordedEvents) : [];
        db.RecordedEvents = db.PendingEvents.Count;
        return events;
    }

    private static void Collect(DbContext? context)
    {
        if (context is not AppDbContext db) return;
        // The entries are only read, never compared: skip the change detection Entries() would run (SaveChanges runs it
        // anyway, and a webhook batch tracks thousands of rows).
        var tracker = db.ChangeTracker;
        var detect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            var span = System.Diagnostics.Activity.Current is { Recorded: true } current ? current.Id : null;
            foreach (var entry in tracker.Entries())
            {
                // A new message remembers the span that wrote it (see MessageConfiguration.TraceParent).
                if (span is not null && entry.Entity is Message && entry.State == EntityState.Added)
                    entry.Property(Data.Configurations.MessageConfiguration.TraceParent).CurrentValue = span;
                switch (entry.Entity)
                {
                    case AggregateRoot aggregate:
                        if (entry.State != EntityState.Deleted) db.PendingEvents.AddRange(aggregate.TakeEvents());
                        break;
                    case ConversationEvent timeline when entry.State == EntityState.Added:
                        db.PendingEvents.Add(timeline.Type == ConversationEventType.Note
                            ? new NoteAdded(timeline.TenantId, timeline.ConversationId)
                            : new TimelineEntryAdded(timeline.TenantId, timeline.ConversationId, timeline.Type));
                        break;
                }
            }
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detect;
        }
    }

    private void Flush(AppDbContext db)
    {
        if (db.PendingEvents.Count == 0) return;
        var events = db.PendingEvents.ToArray();
        db.DropPendingEvents();
        dispatcher.Dispatch(events);
    }
}
