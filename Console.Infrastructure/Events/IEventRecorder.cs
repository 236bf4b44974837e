using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Events;

/// <summary>
/// Writes rows that must exist exactly when the change that raised an event exists (outbound webhook events): called
/// by <see cref="DomainEventInterceptor"/> inside the same save or transaction, before the commit. Must be cheap when
/// it has nothing to write (most tenants).
/// </summary>
public interface IEventRecorder
{
    /// <summary>During SaveChanges: add the rows to <paramref name="db"/>'s change tracker, so this save stores them.</summary>
    void Stage(AppDbContext db, IReadOnlyList<IDomainEvent> events);

    /// <summary>A save on its own failed: take back what <see cref="Stage"/> added, so a later save does not store it.</summary>
    void Unstage(AppDbContext db);

    /// <summary>After a set-based write: insert the rows now, in the open transaction if there is one.</summary>
    void Write(AppDbContext db, IReadOnlyList<IDomainEvent> events);

    Task WriteAsync(AppDbContext db, IReadOnlyList<IDomainEvent> events, CancellationToken ct);
}
