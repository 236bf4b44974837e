using Microsoft.EntityFrameworkCore;
using Npgsql;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Data;

public static class DatabaseSetup
{
    private static readonly TenantConnectionInterceptor ConnectionInterceptor = new();
    private static readonly TenantStampInterceptor StampInterceptor = new();

    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(ConnectionInterceptor, StampInterceptor);

    /// <summary>
    /// The serving connection string, with Npgsql's automatic preparation on unless the string says otherwise: the hot
    /// paths (webhook processing, agent turns) run the same few statements thousands of times, and a prepared statement
    /// skips PostgreSQL's parse and plan on every run. Npgsql keeps prepared statements across pooled connection reuse
    /// (it resets the session without DISCARD ALL); the tenant settings are set again on every open either way.
    /// Not for the migrating connection: a schema change would invalidate its statements.
    /// </summary>
    public static string ForServing(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 128;
            builder.AutoPrepareMinUsages = 2;
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// Tables isolated by row-level security (policies are created by each table's migration through
    /// <see cref="RowLevelSecurity"/>; a test checks that every table listed here has them).
    /// </summary>
    public static readonly IReadOnlyList<string> TenantTables =
    [
        "tenant_members", "channels", "channel_access", "contacts", "contact_identities", "conversations", "messages",
        "conversation_events", "api_keys",
        "agent_profiles", "token_usage", "appointments", "agent_files", "payment_links",
        "knowledge_documents", "knowledge_chunks", "knowledge_files", "agent_tools",
        "presence_leases",
        "canned_replies", "conversation_terms", "contact_terms", "contact_filter_values",
        "products",
        "labels", "conversation_labels",
        "scheduled_items", "follow_up_policies",
        "payment_settings", "stripe_events",
        "outbound_webhooks", "outbound_webhook_events", "outbound_webhook_deliveries",
        "pipeline_stages", "lead_stage_changes",
        "custom_field_definitions", "lead_score_changes", "contact_merges", "contact_imports", "contact_import_errors", "contact_import_files",
        "bookable_resources", "availability_settings",
        "reminder_settings",
        "invitations",
        "message_templates",
        "replay_runs", "replay_turns", "replay_rubrics",
        "subscriptions", "ai_reply_usage", "credit_entries", "billing_notices",
    ];

    /// <summary>Tables whose rows may belong to a tenant or to the platform (tenant_id null = platform only).</summary>
    public static readonly IReadOnlyList<string> MixedTables = ["system_events", "audit_entries"];

    /// <summary>Tables only the platform context may read or write (password-reset links live in e-mails).</summary>
    public static readonly IReadOnlyList<string> PlatformTables = ["outbound_emails", "webhook_deliveries", "platform_stripe_events", "cluster_nodes", "metric_minutes", "failed_work_discards"];

    public static string DescribeUser(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Username ?? "";
}
