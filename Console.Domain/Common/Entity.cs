namespace OperatorConsole.Domain.Common;

/// <summary>Rows that belong to exactly one tenant. Query filters and PostgreSQL RLS key on <see cref="TenantId"/>.</summary>
public interface ITenantOwned
{
    Guid TenantId { get; }
}

/// <summary>Thrown when a state change would break an entity's rule; the API maps it to a 409/422 problem.</summary>
public sealed class DomainException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
