using Microsoft.EntityFrameworkCore.Migrations;

namespace OperatorConsole.Infrastructure.Data;

/// <summary>
/// SQL for the tenant-isolation policies, called from migrations (each migration names its own tables, so an old
/// migration never depends on today's table list). FORCE makes the policies apply to the table owner too;
/// superusers and BYPASSRLS roles still skip them, which is why the app serves requests as an unprivileged role.
/// </summary>
public static class RowLevelSecurity
{
    // Each setting read through a scalar subquery: PostgreSQL evaluates it once per statement (an InitPlan) instead of on
    // every row a scan touches (two current_setting calls and a text-to-uuid parse per row were most of the time of a
    // 10,000-row index range read under row-level security; docs/benchmarks.md, "Leads and inbox search", December).
    private const string CurrentTenant = "(SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)";
    private const string CurrentUser = "(SELECT NULLIF(current_setting('app.user_id', true), '')::uuid)";
    private const string IsPlatform = "(SELECT current_setting('app.platform', true) = 'on')";

    /// <summary>A tenant sees and writes only its own rows; the platform context sees all.</summary>
    public static void EnableTenantTable(MigrationBuilder migration, string table, string? extraRead = null)
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

    /// <summary>Memberships: a user may also read their own rows in other tenants (to list and switch tenants).</summary>
    public static void EnableMembershipTable(MigrationBuilder migration, string table) =>
        EnableTenantTable(migration, table, $"user_id = {CurrentUser}");

    /// <summary>Only the platform context may read or write (raw webhook bodies, e-mails with reset links).</summary>
    public static void EnablePlatformTable(MigrationBuilder migration, string table) =>
        migration.Sql($"""
            ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
            ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
            CREATE POLICY platform_only ON {table} USING ({IsPlatform}) WITH CHECK ({IsPlatform});
            """);
}
