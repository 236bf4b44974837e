using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace OperatorConsole.Infrastructure.Data;

public static class DbErrors
{
    /// <summary>True when the save lost a race on a unique index: the caller answers 409 or treats it as a duplicate.</summary>
    public static bool IsUniqueViolation(this DbUpdateException ex, string? constraint = null) =>
        ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg
        && (constraint is null || pg.ConstraintName == constraint);

    /// <summary>True when the save broke an exclusion constraint (two bookings overlapping in time).</summary>
    public static bool IsExclusionViolation(this DbUpdateException ex) =>
        ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.ExclusionViolation };

    /// <summary>
    /// True when the save was chosen as the victim of a deadlock (40P01), however wrapped (the execution strategy wraps
    /// it in an InvalidOperationException). Concurrent inserts waiting on one exclusion constraint end this way.
    /// </summary>
    public static bool IsDeadlock(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected }) return true;
        return false;
    }

    /// <summary>
    /// The database cannot be reached or is restarting (refused, shutting down, connection lost, timed out): the work is
    /// worth retrying once it is back. A webhook answers 503 for it (the platform retries), a one-shot job waits it out.
    /// </summary>
    public static bool IsDatabaseDown(Exception ex) =>
        ex is NpgsqlException { IsTransient: true } || ex.InnerException is NpgsqlException { IsTransient: true }
        || ex is TimeoutException || (ex is InvalidOperationException && ex.InnerException is NpgsqlException);
}
