using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Scheduling;

/// <summary>
/// The one place conversation timers are (re)scheduled: after any save that set, moved or cleared a conversation's
/// <c>SnoozedUntil</c> or <c>SlaDueAt</c>, the change goes to <see cref="ConversationTimers"/>. Call sites (inbox,
/// API, handoffs, agent turns, assignment, seed) therefore cannot forget it. Scheduling happens after the save:
/// a trigger never exists for a change that was rolled back.
/// </summary>
public sealed class ConversationTimerInterceptor(ConversationTimers timers) : SaveChangesInterceptor
{
    private readonly ConditionalWeakTable<DbContext, List<ConversationTimerChange>> _pending = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (Take(eventData.Context) is { } changes) timers.ApplyAsync(changes).GetAwaiter().GetResult();
        return result;
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result,
        CancellationToken cancellationToken = default)
    {
        if (Take(eventData.Context) is { } changes) await timers.ApplyAsync(changes, CancellationToken.None);
        return result;
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Take(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Take(eventData.Context);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null) return;
        List<ConversationTimerChange>? changes = null;
        foreach (var entry in context.ChangeTracker.Entries<Conversation>())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified)) continue;
            var c = entry.Entity;
            if (Changed(entry, entry.Property(x => x.SnoozedUntil)) && !(ConversationTimers.IsRunningTimer && c.SnoozedUntil is null))
                (changes ??= []).Add(new(c.TenantId, c.Id, ConversationTimer.SnoozeWake, c.SnoozedUntil));
            if (Changed(entry, entry.Property(x => x.SlaDueAt)))
                (changes ??= []).Add(new(c.TenantId, c.Id, ConversationTimer.SlaEscalation, c.SlaDueAt));
        }
        if (changes is null) _pending.Remove(context);
        else _pending.AddOrUpdate(context, changes);
    }

    private static bool Changed(EntityEntry<Conversation> entry, PropertyEntry<Conversation, DateTimeOffset?> property) =>
        entry.State == EntityState.Added
            ? property.CurrentValue is not null
            : property.IsModified && property.OriginalValue != property.CurrentValue;

    private List<ConversationTimerChange>? Take(DbContext? context)
    {
        if (context is null || !_pending.TryGetValue(context, out var changes)) return null;
        _pending.Remove(context);
        return changes;
    }
}
