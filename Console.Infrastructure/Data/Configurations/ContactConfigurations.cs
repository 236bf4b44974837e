using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    /// <summary>The shadow property of a contact's value (sum of its pending and paid payment links).</summary>
    public const string LeadValue = "Value";

    public void Configure(EntityTypeBuilder<Contact> b)
    {
        b.ToTable("contacts");
        b.Property(c => c.Name).HasMaxLength(200);
        b.Property(c => c.PhoneE164).HasMaxLength(20);
        b.Property(c => c.Email).HasMaxLength(254);
        b.Property(c => c.Company).HasMaxLength(200);
        // Filled by the database when a new contact arrives without one (trigger contacts_default_stage: the tenant's
        // first open stage), so every path that creates contacts — webhooks, API, imports, SQL — lands in the pipeline.
        b.Property(c => c.StageId).ValueGeneratedOnAdd();
        // Keyed with the tenant: a contact can never point at another workspace's stage, and the index starts with tenant_id.
        b.HasOne<PipelineStage>().WithMany().HasForeignKey(c => new { c.TenantId, c.StageId }).HasPrincipalKey(s => new { s.TenantId, s.Id })
            .OnDelete(DeleteBehavior.Restrict);
        b.Property<string[]>("_tags").HasColumnName("tags").HasColumnType("text[]");
        b.Ignore(c => c.Tags);
        b.Property(c => c.Temperature).HasConversion<string>().HasMaxLength(10);
        b.Property<Dictionary<string, string>>("_fields").HasColumnName("fields").HasColumnType("jsonb")
            .HasConversion(
                v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
                v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>(),
                new ValueComparer<Dictionary<string, string>>(
                    (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                    v => v.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
                    v => new Dictionary<string, string>(v)));
        b.Ignore(c => c.Fields);
        b.HasMany(c => c.Identities).WithOne().HasForeignKey(i => i.ContactId).OnDelete(DeleteBehavior.Cascade);
        b.Navigation(c => c.Identities).UsePropertyAccessMode(PropertyAccessMode.Field);
        b.HasMany(c => c.ScoreChanges).WithOne().HasForeignKey(s => s.ContactId).OnDelete(DeleteBehavior.Cascade);
        b.Navigation(c => c.ScoreChanges).UsePropertyAccessMode(PropertyAccessMode.Field);
        // Imports and merges find an existing lead by e-mail.
        b.HasIndex(c => new { c.TenantId, c.Email });
        b.HasIndex(c => new { c.TenantId, c.PhoneE164 });
        // The leads grid and kanban: a stage's column by score, and the default grid order.
        b.HasIndex(c => new { c.TenantId, c.StageId, c.Score, c.Id });
        b.HasIndex(c => new { c.TenantId, c.Score, c.Id });
        b.HasIndex(c => new { c.TenantId, c.CreatedAt });
        // The grid's other filters and sort orders, each an index range read in the page's order (docs/benchmarks.md).
        b.HasIndex(c => new { c.TenantId, c.OwnerMemberId, c.Score, c.Id });
        b.HasIndex(c => new { c.TenantId, c.Temperature, c.Score, c.Id });
        b.HasIndex(c => new { c.TenantId, c.Name, c.Id });
        b.HasIndex(c => new { c.TenantId, c.LastSeenAt, c.Id });
        // What the lead is worth (its pending and paid payment links), kept by the trigger payment_links_contact_value on
        // every insert, status or amount change and move of a link, so the grid and the kanban read one column instead of
        // summing links per row. Read-only to EF: it never writes it, the database default is 0.
        b.Property<decimal>(LeadValue).HasColumnName("value").HasPrecision(14, 2).HasDefaultValue(0m)
            .Metadata.SetAfterSaveBehavior(Microsoft.EntityFrameworkCore.Metadata.PropertySaveBehavior.Ignore);
        // A kanban column's value: only the leads that have one, read from the index alone (LeadQueries.BoardAsync).
        b.HasIndex([nameof(Contact.TenantId), nameof(Contact.StageId)], "ix_contacts_tenant_id_stage_id_valued")
            .HasDatabaseName("ix_contacts_tenant_id_stage_id_valued").HasFilter("value <> 0.0").IncludeProperties(LeadValue);
        b.HasOne<Tenant>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ContactIdentityConfiguration : IEntityTypeConfiguration<ContactIdentity>
{
    public void Configure(EntityTypeBuilder<ContactIdentity> b)
    {
        b.ToTable("contact_identities");
        b.Property(i => i.Kind).HasConversion<string>().HasMaxLength(10);
        b.Property(i => i.Value).HasMaxLength(128);
        // One contact per identity on a channel: concurrent webhooks race on this index, not on a lookup.
        b.HasIndex(i => new { i.TenantId, i.ChannelId, i.Kind, i.Value }).IsUnique();
        // The leads filter "wrote on channel X" (and a member restricted to channels): the channel's contacts as one range.
        b.HasIndex(i => new { i.TenantId, i.ChannelId, i.ContactId });
        b.HasOne<Channel>().WithMany().HasForeignKey(i => i.ChannelId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class PipelineStageConfiguration : IEntityTypeConfiguration<PipelineStage>
{
    public void Configure(EntityTypeBuilder<PipelineStage> b)
    {
        b.ToTable("pipeline_stages");
        b.Property(s => s.Name).HasMaxLength(PipelineStage.MaxNameLength);
        b.Property(s => s.Color).HasMaxLength(7);
        b.Property(s => s.Kind).HasConversion<string>().HasMaxLength(10);
        b.Property(s => s.Key).HasMaxLength(20);
        b.HasIndex(s => new { s.TenantId, s.Position });
        b.HasOne<Tenant>().WithMany().HasForeignKey(s => s.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class LeadStageChangeConfiguration : IEntityTypeConfiguration<LeadStageChange>
{
    public void Configure(EntityTypeBuilder<LeadStageChange> b)
    {
        b.ToTable("lead_stage_changes");
        b.Property(h => h.FromStageName).HasMaxLength(PipelineStage.MaxNameLength);
        b.Property(h => h.ToStageName).HasMaxLength(PipelineStage.MaxNameLength);
        b.Property(h => h.ChangedBy).HasMaxLength(120);
        b.Property(h => h.Reason).HasMaxLength(500);
        b.HasIndex(h => new { h.TenantId, h.ContactId, h.ChangedAt });
        // History outlives the stage: a deleted stage leaves its id and name in old rows, without a foreign key.
        b.HasOne<Contact>().WithMany().HasForeignKey(h => new { h.TenantId, h.ContactId }).HasPrincipalKey(c => new { c.TenantId, c.Id })
            .OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Tenant>().WithMany().HasForeignKey(h => h.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
