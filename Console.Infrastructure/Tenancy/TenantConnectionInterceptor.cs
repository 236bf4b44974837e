using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Tenancy;

/// <summary>
/// Copies the tenant context into session settings (app.tenant_id, app.user_id, app.platform) each time EF opens a
/// connection. The RLS policies read these. Npgsql resets session state when a connection returns to the pool,
/// and we set all three on every open, so a pooled connection never carries another request's tenant.
/// </summary>
public sealed class TenantConnectionInterceptor : DbConnectionInterceptor
{
    public const string Sql =
        "SELECT set_config('app.tenant_id', $1, false), set_config('app.user_id', $2, false), set_config('app.platform', $3, false)";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var cmd = Build(connection, eventData);
        cmd.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        await using var cmd = Build(connection, eventData);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlCommand Build(DbConnection connection, ConnectionEndEventData eventData)
    {
        var tenant = (eventData.Context as AppDbContext)?.Tenant;
        var cmd = new NpgsqlCommand(Sql, (NpgsqlConnection)connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = tenant?.TenantId?.ToString() ?? "" });
        cmd.Parameters.Add(new NpgsqlParameter { Value = tenant?.UserId?.ToString() ?? "" });
        cmd.Parameters.Add(new NpgsqlParameter { Value = tenant?.IsPlatform == true ? "on" : "off" });
        return cmd;
    }
}
