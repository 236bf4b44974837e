namespace OperatorConsole.Domain.Common;

/// <summary>Rows that belong to exactly one tenant. Query filters and PostgreSQL RLS key on <see cref="TenantId"/>.</summary>
public interface ITenantOwned
{
    Guid TenantId { get; }
}

/// <summary>
/// Thrown when a state change would break an entity's rule; the API maps it to a 409/422 problem. <see cref="Code"/>
/// picks the sentence shown to people in their language; <see cref="Args"/> fill its placeholders. The message is the
/// English wording for logs.
/// </summary>
public sealed class DomainException(string code, string message, params object?[] args) : Exception(message)
{
    public string Code { get; } = code;
    public IReadOnlyList<object?> Args { get; } = args;
}
