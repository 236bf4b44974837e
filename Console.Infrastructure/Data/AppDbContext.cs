using System.Linq.Expressions;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Data;

public sealed class AppDbContext(DbContextOptions<AppDbContext> options, TenantContext tenant)
    : IdentityDbContext<ApplicationUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    public TenantContext Tenant { get; } = tenant;

    /// <summary>Events taken from saved aggregates or raised for set-based writes, waiting for their commit.</summary>
    internal List<IDomainEvent> PendingEvents { get; } = [];

    /// <summary>How many of <see cref="PendingEvents"/> already have their outbound-webhook rows in this transaction.</summary>
    internal int RecordedEvents { get; set; }

    internal void DropPendingEvents()
    {
        PendingEvents.Clear();
        RecordedEvents = 0;
    }

    private Events.DomainEventInterceptor? _events;

    /// <summary>
    /// What happened in a write this context is about to store (or already ran inside the open transaction): announced
    /// once the next save or the open transaction commits, dropped if it fails. Aggregates record their own events;
    /// this is for changes no aggregate method makes (a workspace setting, a lead seen from its conversations).
    /// </summary>
    public void Raise(IDomainEvent happened) => PendingEvents.Add(happened);

    /// <summary>
    /// What a set-based write (<c>ExecuteUpdate</c>, SQL) that already ran changed: announced when the open transaction
    /// commits, or at once when there is none (the statement has committed).
    /// </summary>
    public void RaiseWritten(IDomainEvent happened)
    {
        if (Database.CurrentTransaction is not null)
        {
            PendingEvents.Add(happened);
            return;
        }
        _events ??= this.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.Interceptors?
            .OfType<Events.DomainEventInterceptor>().FirstOrDefault();
        _events?.Announce(this, [happened]);
    }

    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<TenantMember> TenantMembers => Set<TenantMember>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<PresenceLease> PresenceLeases => Set<PresenceLease>();
    public DbSet<Channel> Channels => Set<Channel>();
    public DbSet<ChannelAccess> ChannelAccess => Set<ChannelAccess>();
    public DbSet<Domain.Templates.MessageTemplate> MessageTemplates => Set<Domain.Templates.MessageTemplate>();
    public DbSet<Contact> Contacts => Set<Contact>();
    public DbSet<ContactIdentity> ContactIdentities => Set<ContactIdentity>();
    public DbSet<Conversation> Conversations => Set<Conversation>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<ConversationEvent> ConversationEvents => Set<ConversationEvent>();
    public DbSet<SystemEvent> SystemEvents => Set<SystemEvent>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<OutboundEmail> OutboundEmails => Set<OutboundEmail>();
    public DbSet<FailedWorkDiscard> FailedWorkDiscards => Set<FailedWorkDiscard>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<AgentProfile> AgentProfiles => Set<AgentProfile>();
    public DbSet<TokenUsage> TokenUsage => Set<TokenUsage>();
    public DbSet<Appointment> Appointments => Set<Appointment>();
    public DbSet<BookableResource> BookableResources => Set<BookableResource>();
    public DbSet<AvailabilitySettings> AvailabilitySettings => Set<AvailabilitySettings>();
    public DbSet<AgentFile> AgentFiles => Set<AgentFile>();
    public DbSet<PaymentLink> PaymentLinks => Set<PaymentLink>();
    public DbSet<Product> Products => Set<Product>();
    public DbSet<PaymentSettings> PaymentSettings => Set<PaymentSettings>();
    public DbSet<FollowUpPolicy> FollowUpPolicies => Set<FollowUpPolicy>();
    public DbSet<ReminderSettings> ReminderSettings => Set<ReminderSettings>();
    public DbSet<StripeEventReceipt> StripeEvents => Set<StripeEventReceipt>();
    public DbSet<Domain.Billing.Subscription> Subscriptions => Set<Domain.Billing.Subscription>();
    public DbSet<Domain.Billing.AiReplyUsage> AiReplyUsage => Set<Domain.Billing.AiReplyUsage>();
    public DbSet<Domain.Billing.CreditEntry> CreditEntries => Set<Domain.Billing.CreditEntry>();
    public DbSet<Domain.Billing.BillingNotice> BillingNotices => Set<Domain.Billing.BillingNotice>();
    public DbSet<Domain.Billing.PlatformStripeEvent> PlatformStripeEvents => Set<Domain.Billing.PlatformStripeEvent>();
    public DbSet<KnowledgeDocument> KnowledgeDocuments => Set<KnowledgeDocument>();
    public DbSet<KnowledgeChunk> KnowledgeChunks => Set<KnowledgeChunk>();
    public DbSet<KnowledgeFile> KnowledgeFiles => Set<KnowledgeFile>();
    public DbSet<AgentTool> AgentTools => Set<AgentTool>();
    public DbSet<ReplayRun> ReplayRuns => Set<ReplayRun>();
    public DbSet<ReplayTurn> ReplayTurns => Set<ReplayTurn>();
    public DbSet<ReplayRubric> ReplayRubrics => Set<ReplayRubric>();
    public DbSet<CannedReply> CannedReplies => Set<CannedReply>();
    public DbSet<Label> Labels => Set<Label>();
    public DbSet<ConversationLabel> ConversationLabels => Set<ConversationLabel>();
    public DbSet<ScheduledItem> ScheduledItems => Set<ScheduledItem>();
    public DbSet<Domain.Integrations.OutboundWebhook> OutboundWebhooks => Set<Domain.Integrations.OutboundWebhook>();
    public DbSet<Domain.Integrations.OutboundWebhookEvent> OutboundWebhookEvents => Set<Domain.Integrations.OutboundWebhookEvent>();
    public DbSet<Domain.Integrations.OutboundWebhookDelivery> OutboundWebhookDeliveries => Set<Domain.Integrations.OutboundWebhookDelivery>();
    public DbSet<PipelineStage> PipelineStages => Set<PipelineStage>();
    public DbSet<LeadStageChange> LeadStageChanges => Set<LeadStageChange>();
    public DbSet<CustomFieldDefinition> CustomFieldDefinitions => Set<CustomFieldDefinition>();
    public DbSet<LeadScoreChange> LeadScoreChanges => Set<LeadScoreChange>();
    public DbSet<ContactMerge> ContactMerges => Set<ContactMerge>();
    public DbSet<ContactImport> ContactImports => Set<ContactImport>();
    public DbSet<ContactImportError> ContactImportErrors => Set<ContactImportError>();
    public DbSet<ContactImportFile> ContactImportFiles => Set<ContactImportFile>();

    // Read by the query filters at execution time (EF parameterizes members of the context instance).
    private Guid? FilterTenantId => Tenant.TenantId;
    private Guid? FilterUserId => Tenant.UserId;
    private bool FilterPlatform => Tenant.IsPlatform;

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasPostgresExtension("unaccent");
        builder.HasPostgresExtension("pg_trgm");
        builder.HasPostgresExtension("btree_gist");
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);

        // Identity tables: readable names instead of asp_net_users etc.
        builder.Entity<ApplicationUser>().ToTable("users");
        builder.Entity<IdentityRole<Guid>>().ToTable("roles");
        builder.Entity<IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<IdentityRoleClaim<Guid>>().ToTable("role_claims");

        foreach (var type in builder.Model.GetEntityTypes().Select(t => t.ClrType).Where(t => typeof(ITenantOwned).IsAssignableFrom(t)))
        {
            typeof(AppDbContext).GetMethod(nameof(ApplyTenantFilter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
                .MakeGenericMethod(type).Invoke(this, [builder]);
        }
    }

    private void ApplyTenantFilter<T>(ModelBuilder builder) where T : class, ITenantOwned
    {
        Expression<Func<T, bool>> filter = e => FilterPlatform || e.TenantId == FilterTenantId;
        if (typeof(T) == typeof(TenantMember))
        {
            // A user may always see their own memberships (to list and switch tenants), like the RLS policy.
            builder.Entity<TenantMember>().HasQueryFilter(m => FilterPlatform || m.TenantId == FilterTenantId || m.UserId == FilterUserId);
            return;
        }
        builder.Entity<T>().HasQueryFilter(filter);
    }
}
