using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Agent.Knowledge;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class AgentProfileConfiguration : IEntityTypeConfiguration<AgentProfile>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<AgentProfile> b)
    {
        b.ToTable("agent_profiles");
        b.Property(p => p.State).HasConversion<string>().HasMaxLength(10);
        b.Property(p => p.OutOfHours).HasConversion<string>().HasMaxLength(20);
        b.Property(p => p.SystemPrompt).HasMaxLength(AgentProfile.MaxPromptLength);
        b.Property(p => p.Tone).HasMaxLength(500);
        b.Property(p => p.Model).HasMaxLength(100);
        b.Property(p => p.TimeZone).HasMaxLength(64);
        b.Property(p => p.HandoffNotifyNumber).HasMaxLength(20);
        b.Property(p => p.PublishedBy).HasMaxLength(200);
        // A record of ints: compared by value, so the default needs no comparer.
        b.Property(p => p.ScoringWeights).HasColumnType("jsonb").HasConversion(
            w => JsonSerializer.Serialize(w, Json),
            s => JsonSerializer.Deserialize<LeadScoringWeights>(s, Json) ?? LeadScoringWeights.Default);
        b.Property(p => p.BusinessHours).HasColumnType("jsonb").HasConversion(
            h => JsonSerializer.Serialize(h.Intervals, Json),
            s => new BusinessHours(JsonSerializer.Deserialize<List<OpeningInterval>>(s, Json) ?? new List<OpeningInterval>()),
            new ValueComparer<BusinessHours>((x, y) => JsonSerializer.Serialize(x!.Intervals, Json) == JsonSerializer.Serialize(y!.Intervals, Json),
                h => JsonSerializer.Serialize(h.Intervals, Json).GetHashCode(), h => h));
        b.Property(p => p.FewShotExamples).HasColumnType("jsonb").HasConversion(
            l => JsonSerializer.Serialize(l, Json),
            s => JsonSerializer.Deserialize<List<FewShotExample>>(s, Json) ?? new List<FewShotExample>(),
            ListComparer<FewShotExample>());
        b.Property(p => p.EscalationKeywords).HasConversion(
            l => l.ToArray(), a => a.ToList(), ListComparer<string>()).HasColumnType("text[]");
        b.Property(p => p.LeadFields).HasConversion(
            l => l.ToArray(), a => a.ToList(), ListComparer<string>()).HasColumnType("text[]");
        // One draft and one live version per tenant; any number archived.
        b.HasIndex(p => new { p.TenantId, p.State }).IsUnique().HasFilter($"state <> '{nameof(AgentProfileState.Archived)}'");
        b.HasIndex(p => new { p.TenantId, p.Version }).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Cascade);
    }

    private static ValueComparer<IReadOnlyList<T>> ListComparer<T>() => new(
        (x, y) => x!.SequenceEqual(y!),
        l => l.Aggregate(0, (h, e) => HashCode.Combine(h, e)),
        l => l.ToList());
}

public sealed class TokenUsageConfiguration : IEntityTypeConfiguration<TokenUsage>
{
    public void Configure(EntityTypeBuilder<TokenUsage> b)
    {
        b.ToTable("token_usage");
        b.Property(u => u.Feature).HasConversion<string>().HasMaxLength(20);
        b.Property(u => u.Provider).HasMaxLength(100);
        b.Property(u => u.Model).HasMaxLength(100);
        b.Property(u => u.EstimatedCost).HasPrecision(14, 6);
        b.HasIndex(u => new { u.TenantId, u.CreatedAt });
        b.HasOne<Tenant>().WithMany().HasForeignKey(u => u.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class AppointmentConfiguration : IEntityTypeConfiguration<Appointment>
{
    public void Configure(EntityTypeBuilder<Appointment> b)
    {
        b.ToTable("appointments");
        b.Property(a => a.Status).HasConversion<string>().HasMaxLength(10);
        b.Property(a => a.Name).HasMaxLength(200);
        b.Property(a => a.Email).HasMaxLength(254);
        b.Property(a => a.Notes).HasMaxLength(2_000);
        b.Property(a => a.StatusChangedBy).HasMaxLength(200);
        b.HasIndex(a => new { a.TenantId, a.StartsAt });
        b.HasIndex(a => new { a.TenantId, a.ContactId });
        b.HasIndex(a => new { a.TenantId, a.ResourceId, a.StartsAt });
        b.HasOne<Contact>().WithMany().HasForeignKey(a => a.ContactId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<BookableResource>().WithMany().HasForeignKey(a => a.ResourceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Conversation>().WithMany().HasForeignKey(a => a.ConversationId).OnDelete(DeleteBehavior.SetNull);
        // The overlap rule (per tenant and resource) is an exclusion constraint added in the migration (EF cannot express it).
    }
}

public sealed class AgentFileConfiguration : IEntityTypeConfiguration<AgentFile>
{
    public void Configure(EntityTypeBuilder<AgentFile> b)
    {
        b.ToTable("agent_files");
        b.Property(f => f.Name).HasMaxLength(120);
        b.Property(f => f.Url).HasMaxLength(2_000);
        b.Property(f => f.Kind).HasMaxLength(10);
        b.Property(f => f.FileName).HasMaxLength(200);
        b.Property(f => f.Description).HasMaxLength(500);
        b.Property(f => f.ContentType).HasMaxLength(100);
        b.HasIndex(f => new { f.TenantId, f.Name }).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(f => f.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class PaymentLinkConfiguration : IEntityTypeConfiguration<PaymentLink>
{
    public void Configure(EntityTypeBuilder<PaymentLink> b)
    {
        b.ToTable("payment_links");
        b.Property(p => p.Status).HasConversion<string>().HasMaxLength(10);
        b.Property(p => p.Provider).HasConversion<string>().HasMaxLength(10);
        b.Property(p => p.Description).HasMaxLength(200);
        b.Property(p => p.Currency).HasMaxLength(3);
        b.Property(p => p.Amount).HasPrecision(12, 2);
        b.Property(p => p.ProviderReference).HasMaxLength(255);
        b.Property(p => p.CheckoutUrl).HasMaxLength(2000);
        b.HasIndex(p => new { p.TenantId, p.ContactId });
        // The payments page lists newest first, filtered by status.
        b.HasIndex(p => new { p.TenantId, p.CreatedAt });
        b.HasOne<Contact>().WithMany().HasForeignKey(p => p.ContactId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Product>().WithMany().HasForeignKey(p => p.ProductId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Conversation>().WithMany().HasForeignKey(p => p.ConversationId).OnDelete(DeleteBehavior.SetNull);
    }
}

public sealed class ProductConfiguration : IEntityTypeConfiguration<Product>
{
    public void Configure(EntityTypeBuilder<Product> b)
    {
        b.ToTable("products");
        b.Property(p => p.Name).HasMaxLength(120);
        b.Property(p => p.Description).HasMaxLength(1000);
        b.Property(p => p.Currency).HasMaxLength(3);
        b.Property(p => p.Price).HasPrecision(12, 2);
        b.Property(p => p.ImageUrl).HasMaxLength(500);
        // Unique on (tenant_id, lower(name)), created by the migration in SQL: send_payment_link matches names
        // case-insensitively, so two products may not differ only in case.
        b.HasOne<Tenant>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class KnowledgeDocumentConfiguration : IEntityTypeConfiguration<KnowledgeDocument>
{
    public void Configure(EntityTypeBuilder<KnowledgeDocument> b)
    {
        b.ToTable("knowledge_documents");
        b.Property(d => d.Title).HasMaxLength(KnowledgeDocument.MaxTitle);
        b.Property(d => d.Source).HasConversion<string>().HasMaxLength(16);
        b.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(d => d.SourceName).HasMaxLength(KnowledgeDocument.MaxSourceName);
        b.Property(d => d.FailureCode).HasMaxLength(64);
        b.Property(d => d.Failure).HasMaxLength(KnowledgeDocument.MaxFailure);
        b.HasIndex(d => new { d.TenantId, d.CreatedAt });
        // The processing queue: documents still to read, across tenants (the worker claims them in the system scope).
        b.HasIndex(d => d.LeaseUntil).HasFilter($"status = '{nameof(KnowledgeStatus.Processing)}'").HasDatabaseName("ix_knowledge_documents_processing");
        b.HasMany(d => d.Chunks).WithOne().HasForeignKey(c => c.DocumentId).OnDelete(DeleteBehavior.Cascade);
        b.Navigation(d => d.Chunks).UsePropertyAccessMode(PropertyAccessMode.Field);
        b.HasOne<Tenant>().WithMany().HasForeignKey(d => d.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class KnowledgeFileConfiguration : IEntityTypeConfiguration<KnowledgeFile>
{
    public void Configure(EntityTypeBuilder<KnowledgeFile> b)
    {
        b.ToTable("knowledge_files");
        b.HasKey(f => f.DocumentId);
        b.HasIndex(f => f.TenantId);
        b.HasOne<KnowledgeDocument>().WithOne().HasForeignKey<KnowledgeFile>(f => f.DocumentId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class KnowledgeChunkConfiguration : IEntityTypeConfiguration<KnowledgeChunk>
{
    public void Configure(EntityTypeBuilder<KnowledgeChunk> b)
    {
        b.ToTable("knowledge_chunks");
        b.Property(c => c.Title).HasMaxLength(KnowledgeDocument.MaxTitle);
        b.HasIndex(c => new { c.TenantId, c.DocumentId, c.Ordinal }).IsUnique();
        // The search vector (Spanish + English, accent-insensitive) and its GIN and trigram indexes are added in the
        // migration: a generated column over an immutable unaccent wrapper, which EF cannot express.

        // The passage's embedding is the vector index's business, not the domain's (pgvector would store it elsewhere):
        // shadow columns written and read only by ArrayVectorIndex and the embedding worker. A new row is due at once
        // (the column default), so every way of writing a chunk gets a vector without remembering to ask for one.
        b.Property<float[]?>(ArrayVectorIndex.Embedding).HasColumnType("real[]");
        b.Property<string?>(ArrayVectorIndex.EmbeddingModel).HasMaxLength(100);
        b.Property<DateTimeOffset?>(ArrayVectorIndex.EmbeddingDueAt).HasDefaultValueSql("now()");
        b.Property<int>(ArrayVectorIndex.EmbeddingAttempts);
        // The embedding worker's queue across tenants (like agent_due_at): only due rows are indexed.
        b.HasIndex(ArrayVectorIndex.EmbeddingDueAt).HasFilter("embedding_due_at IS NOT NULL");
    }
}

public sealed class AgentToolConfiguration : IEntityTypeConfiguration<AgentTool>
{
    public void Configure(EntityTypeBuilder<AgentTool> b)
    {
        b.ToTable("agent_tools");
        b.Property(t => t.Name).HasMaxLength(64);
        b.Property(t => t.Description).HasMaxLength(1000);
        b.Property(t => t.ParametersSchema).HasColumnType("jsonb");
        b.Property(t => t.Url).HasMaxLength(2000);
        b.Property(t => t.Method).HasMaxLength(10);
        b.Property(t => t.Mode).HasConversion<string>().HasMaxLength(10);
        b.Property(t => t.HeaderNames).HasConversion(l => l.ToArray(), a => a.ToList(),
            new ValueComparer<IReadOnlyList<string>>((x, y) => x!.SequenceEqual(y!), l => l.Aggregate(0, (h, e) => HashCode.Combine(h, e)), l => l.ToList()))
            .HasColumnType("text[]");
        b.HasIndex(t => new { t.TenantId, t.Name }).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(t => t.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class PaymentSettingsConfiguration : IEntityTypeConfiguration<PaymentSettings>
{
    public void Configure(EntityTypeBuilder<PaymentSettings> b)
    {
        b.ToTable("payment_settings");
        b.HasKey(p => p.TenantId);
        b.Property(p => p.StripeAccountId).HasMaxLength(255);
        b.Property(p => p.StripeAccountName).HasMaxLength(255);
        b.Property(p => p.BankInstructions).HasMaxLength(1000);
        b.Property(p => p.MaxCustomAmount).HasPrecision(12, 2);
        b.Ignore(p => p.StripeConnected);
        b.HasOne<Tenant>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class StripeEventReceiptConfiguration : IEntityTypeConfiguration<StripeEventReceipt>
{
    public void Configure(EntityTypeBuilder<StripeEventReceipt> b)
    {
        b.ToTable("stripe_events");
        // The primary key is the idempotency guard: the webhook inserts ON CONFLICT DO NOTHING and applies only when it inserted.
        b.HasKey(e => new { e.TenantId, e.EventId });
        b.Property(e => e.EventId).HasMaxLength(255);
        b.Property(e => e.Type).HasMaxLength(100);
        b.HasOne<Tenant>().WithMany().HasForeignKey(e => e.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
