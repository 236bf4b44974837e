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
}
