using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Infrastructure.Data.Configurations;

public sealed class ConversationConfiguration : IEntityTypeConfiguration<Conversation>
{
    public void Configure(EntityTypeBuilder<Conversation> b)
    {
        b.ToTable("conversations");
        b.Property(c => c.Status).HasConversion<string>().HasMaxLength(20);
        b.Property(c => c.Owner).HasConversion<string>().HasMaxLength(20);
        b.Property(c => c.HandoffReason).HasConversion<string>().HasMaxLength(30);
        b.Property(c => c.Priority).HasConversion<string>().HasMaxLength(20);
        b.Property(c => c.LastMessagePreview).HasMaxLength(140);
        b.HasIndex(c => new { c.TenantId, c.Status, c.LastMessageAt });
        b.HasIndex(c => new { c.TenantId, c.ContactId });
        // Inbox list orders (newest activity first, keyset on the id): one index per tab, the working tabs partial
        // so resolved history is never scanned. Trigram search indexes are created in the Inbox migration.
        b.HasIndex(c => new { c.TenantId, c.LastMessageAt, c.Id }, "ix_conversations_inbox_all").IsDescending(false, true, true);
        b.HasIndex(c => new { c.TenantId, c.Owner, c.LastMessageAt, c.Id }, "ix_conversations_inbox_owner")
            .IsDescending(false, false, true, true).HasFilter($"status <> '{nameof(ConversationStatus.Resolved)}'");
        b.HasIndex(c => new { c.TenantId, c.AssignedMemberId, c.LastMessageAt, c.Id }, "ix_conversations_inbox_member")
            .IsDescending(false, false, true, true).HasFilter($"status <> '{nameof(ConversationStatus.Resolved)}'");
        b.HasIndex(c => new { c.TenantId, c.Priority, c.SlaDueAt, c.Id }, "ix_conversations_inbox_needs_human")
            .HasFilter($"status <> '{nameof(ConversationStatus.Resolved)}' AND (owner = '{nameof(ConversationOwner.Unassigned)}' OR sla_due_at IS NOT NULL)");
        // The agent dispatcher scans only due rows.
        b.HasIndex(c => c.AgentDueAt).HasFilter("agent_due_at IS NOT NULL");
        b.HasOne<Channel>().WithMany().HasForeignKey(c => c.ChannelId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Contact>().WithMany().HasForeignKey(c => c.ContactId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<TenantMember>().WithMany().HasForeignKey(c => c.AssignedMemberId).OnDelete(DeleteBehavior.SetNull);
        // Concurrent operators and the agent runner update the same row: PostgreSQL's xmin makes the loser retry.
        b.Property<uint>("Version").IsRowVersion();
    }
}

public sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> b)
    {
        b.ToTable("messages");
        b.Property(m => m.Direction).HasConversion<string>().HasMaxLength(10);
        b.Property(m => m.Sender).HasConversion<string>().HasMaxLength(10);
        b.Property(m => m.Type).HasConversion<string>().HasMaxLength(20);
        b.Property(m => m.Status).HasConversion<string>().HasMaxLength(10);
        b.Property(m => m.Payload).HasColumnType("jsonb");
        b.Property(m => m.ExternalId).HasMaxLength(256);
        b.Property(m => m.ReplyToExternalId).HasMaxLength(256);
        b.Property(m => m.ErrorCode).HasMaxLength(20);
        b.Property(m => m.MediaState).HasConversion<string>().HasMaxLength(10);
        b.Property(m => m.MediaContentType).HasMaxLength(100);
        b.Property(m => m.MediaText).HasMaxLength(Message.MediaTextMax);
        b.HasIndex(m => m.NextAttemptAt, "ix_messages_media_queue").HasFilter($"media_state = '{nameof(MediaState.Pending)}'");
        b.HasIndex(m => new { m.TenantId, m.ConversationId, m.SentAt });
        // Idempotent ingest: a retried webhook hits this index instead of inserting a second row.
        b.HasIndex(m => new { m.TenantId, m.ChannelId, m.ExternalId }).IsUnique().HasFilter("external_id IS NOT NULL");
        // The outbound dispatchers poll for queued sends on every node: without this they scan the whole table.
        b.HasIndex(m => m.CreatedAt, "ix_messages_outbound_queue")
            .HasFilter($"direction = '{nameof(MessageDirection.Outbound)}' AND status = '{nameof(DeliveryStatus.Queued)}' AND external_id IS NULL");
        b.HasOne<Conversation>().WithMany().HasForeignKey(m => m.ConversationId).OnDelete(DeleteBehavior.Cascade);
        // Statuses for one message arrive in parallel deliveries: the loser of a race retries instead of overwriting
        // "read" with "delivered".
        b.Property<uint>("Version").IsRowVersion();
        // The span that stored the message (W3C traceparent), only when traces are recorded: an agent turn links to the
        // processing of the messages it answers, and a send continues the trace of the turn that wrote it.
        b.Property<string?>(TraceParent).HasColumnName("trace_parent").HasMaxLength(64);
    }

    /// <summary>The shadow property holding the span that stored a message.</summary>
    public const string TraceParent = "TraceParent";
}

public sealed class ConversationEventConfiguration : IEntityTypeConfiguration<ConversationEvent>
{
    public void Configure(EntityTypeBuilder<ConversationEvent> b)
    {
        b.ToTable("conversation_events");
        b.Property(e => e.Type).HasConversion<string>().HasMaxLength(20);
        b.Property(e => e.Data).HasColumnType("jsonb");
        b.HasIndex(e => new { e.TenantId, e.ConversationId, e.CreatedAt });
        b.HasOne<Conversation>().WithMany().HasForeignKey(e => e.ConversationId).OnDelete(DeleteBehavior.Cascade);
    }
}
