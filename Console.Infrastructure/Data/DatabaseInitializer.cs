using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Data;

/// <summary>
/// Start-up database work: migrations as the owner role, privileges for the serving role, a loud warning when the
/// serving role would bypass row-level security, and platform roles. The demo seed is not its business: the host runs
/// it afterwards (Demo/DemoStartup), so Data does not depend on Demo.
/// </summary>
public sealed partial class DatabaseInitializer(IConfiguration config, IOptions<DatabaseOptions> database, IServiceProvider services, ILogger<DatabaseInitializer> log)
{
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        var appCs = config.GetConnectionString("Default") ?? throw new InvalidOperationException("ConnectionStrings:Default is not set.");
        var ownerCs = config.GetConnectionString("Migrations");
        if (string.IsNullOrWhiteSpace(ownerCs)) ownerCs = appCs;

        if (database.Value.Migrate)
        {
            await MigrateAsync(ownerCs, appCs, ct);
            log.LogInformation("Database migrated; serving role {Role} granted table privileges", DatabaseSetup.DescribeUser(appCs));
        }

        await WarnIfRlsBypassedAsync(appCs, ct);

        await using var scope = services.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>();
        if (!await roles.RoleExistsAsync(Roles.SuperAdmin))
            await roles.CreateAsync(new IdentityRole<Guid>(Roles.SuperAdmin) { Id = Guid.NewGuid() });
    }

    /// <summary>Applies migrations as the owner and grants the serving role DML rights (also used by the test fixture).</summary>
    public static async Task MigrateAsync(string ownerConnectionString, string appConnectionString, CancellationToken ct = default)
    {
        var options = new DbContextOptionsBuilder<AppDbContext>();
        DatabaseSetup.Configure(options, ownerConnectionString);
        await using var owner = new AppDbContext(options.Options, new TenantContext());
        await owner.Database.MigrateAsync(ct);
        await GrantAsync(owner, DatabaseSetup.DescribeUser(appConnectionString), DatabaseSetup.DescribeUser(ownerConnectionString), ct);
    }

    private static async Task GrantAsync(AppDbContext owner, string appRole, string ownerRole, CancellationToken ct)
    {
        if (string.Equals(appRole, ownerRole, StringComparison.Ordinal) || string.IsNullOrEmpty(appRole)) return;
        if (!RoleName().IsMatch(appRole)) throw new InvalidOperationException($"Unexpected role name '{appRole}'.");
        // Identifiers cannot be parameters; the role name was checked against a strict pattern above.
        var grant = $"""
            GRANT USAGE ON SCHEMA public TO "{appRole}";
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{appRole}";
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{appRole}";
            -- Least privilege where the app needs less: it only adds Data Protection keys (revocations are new rows
            -- too), so a hijacked serving role cannot delete or swap the key ring; the migration history is the owner's.
            REVOKE UPDATE, DELETE, TRUNCATE ON data_protection_keys FROM "{appRole}";
            REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON __ef_migrations_history FROM "{appRole}";
            -- Quartz's job store (its own schema): every node's scheduler reads and writes it; no DDL.
            GRANT USAGE ON SCHEMA quartz TO "{appRole}";
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA quartz TO "{appRole}";
            """;
        await owner.Database.ExecuteSqlRawAsync(grant, ct);
    }

    private async Task WarnIfRlsBypassedAsync(string appCs, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(appCs);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user", conn);
        if (await cmd.ExecuteScalarAsync(ct) is true)
        {
            await services.GetRequiredService<SystemEventWriter>().WriteAsync(Severity.Critical, "database",
                new TextRef("SystemEvent.RlsBypassed", "The app connects as a superuser or BYPASSRLS role: row-level security is NOT enforced. " +
                "Serve requests as an unprivileged role (see README)."), ct: ct);
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex RoleName();
}
