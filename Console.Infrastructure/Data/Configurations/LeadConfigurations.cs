using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class CustomFieldDefinitionConfiguration : IEntityTypeConfiguration<CustomFieldDefinition>
{
    public void Configure(EntityTypeBuilder<CustomFieldDefinition> b)
    {
        b.ToTable("custom_field_definitions");
        b.Property(d => d.Key).HasMaxLength(40);
        b.Property(d => d.Label).HasMaxLength(80);
        b.Property(d => d.Type).HasConversion<string>().HasMaxLength(10);
        b.Property<List<string>>("_choices").HasColumnName("choices");
        b.Ignore(d => d.Choices);
        b.HasIndex(d => new { d.TenantId, d.Key }).IsUnique();
        b.HasOne<Tenant>().WithMany().HasForeignKey(d => d.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class LeadScoreChangeConfiguration : IEntityTypeConfiguration<LeadScoreChange>
{
    public void Configure(EntityTypeBuilder<LeadScoreChange> b)
    {
        b.ToTable("lead_score_changes");
        // Rows are created by Contact.SetScore with their id and found through the contact: a set, non-generated key marks them new.
        b.Property(c => c.Id).ValueGeneratedNever();
        b.Property(c => c.Reason).HasMaxLength(300);
        b.HasIndex(c => new { c.TenantId, c.ContactId, c.At });
        b.HasOne<Tenant>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ContactMergeConfiguration : IEntityTypeConfiguration<ContactMerge>
{
    public void Configure(EntityTypeBuilder<ContactMerge> b)
    {
        b.ToTable("contact_merges");
        b.HasKey(m => m.MergedId);
        b.Property(m => m.MergedName).HasMaxLength(254);
        b.Property(m => m.MergedBy).HasMaxLength(200);
        b.HasIndex(m => new { m.TenantId, m.SurvivorId });
        b.HasOne<Tenant>().WithMany().HasForeignKey(m => m.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ContactImportConfiguration : IEntityTypeConfiguration<ContactImport>
{
    public void Configure(EntityTypeBuilder<ContactImport> b)
    {
        b.ToTable("contact_imports");
        b.Property(i => i.FileName).HasMaxLength(200);
        b.Property(i => i.Status).HasConversion<string>().HasMaxLength(10);
        b.Property(i => i.Duplicates).HasConversion<string>().HasMaxLength(10);
        b.Property(i => i.Region).HasMaxLength(2);
        b.Property(i => i.Error).HasMaxLength(500);
        b.Property(i => i.CreatedBy).HasMaxLength(200);
        b.Property<Dictionary<string, string>>("_mapping").HasColumnName("mapping").HasColumnType("jsonb")
            .HasConversion(
                v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
                v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>(),
                new ValueComparer<Dictionary<string, string>>(
                    (x, y) => x!.Count == y!.Count && !x.Except(y).Any(),
                    v => v.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
                    v => new Dictionary<string, string>(v)));
        b.Ignore(i => i.Mapping);
        b.HasIndex(i => new { i.TenantId, i.CreatedAt });
        // The workers look across tenants for runs nobody holds.
        b.HasIndex(i => i.LeaseUntil).HasFilter($"status = '{nameof(ContactImportStatus.Running)}'");
        b.HasOne<Tenant>().WithMany().HasForeignKey(i => i.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ContactImportErrorConfiguration : IEntityTypeConfiguration<ContactImportError>
{
    public void Configure(EntityTypeBuilder<ContactImportError> b)
    {
        b.ToTable("contact_import_errors");
        b.HasKey(e => new { e.TenantId, e.ImportId, e.Row });
        b.Property(e => e.Code).HasMaxLength(40);
        b.Property(e => e.Reason).HasMaxLength(500);
        b.Property(e => e.Raw).HasMaxLength(2000);
        b.HasOne<ContactImport>().WithMany().HasForeignKey(e => e.ImportId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ContactImportFileConfiguration : IEntityTypeConfiguration<ContactImportFile>
{
    public void Configure(EntityTypeBuilder<ContactImportFile> b)
    {
        b.ToTable("contact_import_files");
        b.HasKey(f => f.ImportId);
        b.HasIndex(f => f.TenantId);
        b.HasOne<ContactImport>().WithOne().HasForeignKey<ContactImportFile>(f => f.ImportId).OnDelete(DeleteBehavior.Cascade);
    }
}
