using Microsoft.EntityFrameworkCore.Migrations;

namespace OperatorConsole.Infrastructure.Data;

/// <summary>
/// SQL for the tenant-isolation policies. FORCE makes them apply to the table owner too; superusers and BYPASSRLS
/// roles still skip them, which is why the app serves requests as a separate, unprivileged role.
/// </summary>
public static class RowLevelSecurity
{
    private const string CurrentTenant = "NULLIF(current_setting('app.tenant_id', true), '')::uuid";
    private const string CurrentUser = "NULLIF(current_setting('app.user_id', true), '')::uuid";
    private const string IsPlatform = "current_setting('app.platform', true) = 'on'";

    public static void Enable(MigrationBuilder migration, string table, string? extraRead = null)
    {
        var read = $"{IsPlatform} OR tenant_id = {CurrentTenant}" + (extraRead is null ? "" : $" OR {extraRead}");
        migration.Sql($"""
            ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
            ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON {table}
                USING ({read})
                WITH CHECK ({IsPlatform} OR tenant_id = {CurrentTenant});
            """);
    }

    public static void EnableAll(MigrationBuilder migration)
    {
        foreach (var table in DatabaseSetup.TenantTables)
            Enable(migration, table, table == "tenant_members" ? $"user_id = {CurrentUser}" : null);
        // Platform rows (tenant_id null) are for super admins; a tenant sees and writes only its own.
        foreach (var table in DatabaseSetup.MixedTables)
            Enable(migration, table);
        foreach (var table in DatabaseSetup.PlatformTables)
            migration.Sql($"""
                ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                CREATE POLICY platform_only ON {table} USING ({IsPlatform}) WITH CHECK ({IsPlatform});
                """);
    }
}
