using System.Runtime.CompilerServices;

namespace OperatorConsole.Infrastructure.Data;

/// <summary>
/// Raw SQL for FromSql/SqlQuery/ExecuteSql whose enum values are written into the text from the enum itself
/// (<c>'{{nameof(DeliveryState.Pending)}}'</c> in a constant) and whose other values are parameters (<c>{0}</c>, …).
/// The enum values stay literals rather than parameters on purpose: a partial index (<c>WHERE state = 'Pending'</c>)
/// only serves a query that names the same literal, and a parameter would change the plan.
/// </summary>
public static class SqlText
{
    /// <summary>The same FormattableString an interpolated <c>$"..."</c> would give EF: every argument becomes a parameter.</summary>
    public static FormattableString With(string format, params object?[] arguments) => FormattableStringFactory.Create(format, arguments);
}
