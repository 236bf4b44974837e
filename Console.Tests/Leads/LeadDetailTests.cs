using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Leads;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Leads;

/// <summary>Editing a lead's fields, its score history and merging two leads, against real PostgreSQL with RLS.</summary>
public class LeadDetailTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private async Task AddFieldAsync(Guid tenant, string key, CustomFieldType type, params string[] choices)
    {
        await using var work = app.Scopes.ForTenant(tenant);
        work.Db.CustomFieldDefinitions.Add(CustomFieldDefinition.Create(tenant, key, key, type, choices, 1, Now));
        await work.Db.SaveChangesAsync();
    }

    private async Task<Contact> ReloadAsync(Guid tenant, Guid contactId)
    {
        await using var work = app.Scopes.ForTenant(tenant);
        return await work.Db.Contacts.AsNoTracking().Include(c => c.Identities).SingleAsync(c => c.Id == contactId);
    }

    [Fact]
    public async Task Inline_edit_refuses_a_value_that_breaks_the_field_type_and_keeps_the_old_value()
    {
        var tenant = await app.TenantAsync();
        var conversation = await app.ConversationAsync(tenant.Id, "Ana");
        await AddFieldAsync(tenant.Id, "presupuesto", CustomFieldType.Number);
        await AddFieldAsync(tenant.Id, "visita", CustomFieldType.Date);
        await AddFieldAsync(tenant.Id, "tratamiento", CustomFieldType.Choice, "Limpieza", "Ortodoncia");
        await using var work = app.Scopes.ForTenant(tenant.Id);

        Assert.Equal("1500.5", await LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "field:presupuesto", "1500,5"));
        Assert.Equal("12500", await LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "field:presupuesto", "12,500"));
        Assert.Equal("1500.5", await LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "field:presupuesto", "1,500.50"));
        var refused = await Assert.ThrowsAsync<DomainException>(() => LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "field:presupuesto", "abc"));
        Assert.Equal("field.number", refused.Code);
        Assert.Equal(["presupuesto", "abc"], refused.Args);
        Assert.Equal("field.date", (await Assert.ThrowsAsync<DomainException>(() =>
            LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "field:visita", "12/01/2027"))).Code);
        Assert.Equal("2027-01-12", await LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "field:visita", "2027-01-12"));
        Assert.Equal("field.choice", (await Assert.ThrowsAsync<DomainException>(() =>
            LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "field:tratamiento", "Blanqueamiento"))).Code);
        Assert.Equal("Ortodoncia", await LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "field:tratamiento", "ortodoncia"));
        Assert.Equal("lead.email", (await Assert.ThrowsAsync<DomainException>(() =>
            LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "email", "ana-at-example"))).Code);
        Assert.Equal("lead.phone", (await Assert.ThrowsAsync<DomainException>(() =>
            LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "phone", "12ab"))).Code);
        Assert.Equal("+525512345678", await LeadCommands.EditFieldAsync(work.Db, conversation.ContactId, "phone", "55 1234 5678"));

        var stored = await ReloadAsync(tenant.Id, conversation.ContactId);
        Assert.Equal("1500.5", stored.Fields["presupuesto"]);
        Assert.Equal("2027-01-12", stored.Fields["visita"]);
        Assert.Equal("Ortodoncia", stored.Fields["tratamiento"]);
        Assert.Null(stored.Email);
    }

    [Fact]
    public void The_agents_update_lead_checks_defined_fields_and_keeps_free_ones_as_text()
    {
        var tenant = Guid.NewGuid();
        var contact = Contact.Create(tenant, "Ana", null, Now);
        CustomFieldDefinition[] definitions = [CustomFieldDefinition.Create(tenant, "presupuesto", "Presupuesto", CustomFieldType.Number, null, 1, Now)];

        var refused = Assert.Throws<DomainException>(() => LeadChanges.Apply(contact,
            new LeadUpdate(null, "Ana María", null, null, new Dictionary<string, string> { ["Presupuesto"] = "mucho", ["ciudad"] = "Puebla" }), [], definitions));
        Assert.Equal("field.number", refused.Code);
        Assert.Empty(contact.Fields);
        Assert.Equal("Ana", contact.Name);

        LeadChanges.Apply(contact, new LeadUpdate(null, null, null, null, new Dictionary<string, string> { ["Presupuesto"] = "2000", ["ciudad"] = "Puebla" }),
            [], definitions);
        Assert.Equal("2000", contact.Fields["presupuesto"]);
        Assert.Equal("Puebla", contact.Fields["ciudad"]);
    }

    [Fact]
    public async Task Every_score_change_is_stored_with_its_reason()
    {
        var tenant = await app.TenantAsync();
        var conversation = await app.ConversationAsync(tenant.Id, "Ana");
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var contact = await work.Db.Contacts.SingleAsync(c => c.Id == conversation.ContactId);
            contact.SetScore(80, "interested +10, budget mentioned +20", Now);
            contact.SetScore(80, "nothing new", Now.AddMinutes(1));
            contact.AdjustScore(-20, "not interested -20", Now.AddMinutes(2));
            await work.Db.SaveChangesAsync();
        }
        await using var read = app.Scopes.ForTenant(tenant.Id);
        var history = await read.Db.LeadScoreChanges.AsNoTracking().Where(s => s.ContactId == conversation.ContactId).OrderBy(s => s.At).ToListAsync();
        Assert.Equal([(50, 80, "interested +10, budget mentioned +20"), (80, 60, "not interested -20")],
            history.Select(h => (h.FromScore, h.ToScore, h.Reason)));
    }

    [Fact]
    public async Task Merging_keeps_identities_conversations_messages_appointments_payments_notes_score_history_and_fields()
    {
        var tenant = await app.TenantAsync();
        var whatsapp = await app.ChannelAsync(tenant.Id);
        var messenger = await app.ChannelAsync(tenant.Id, ChannelKind.Messenger);
        var onWhatsApp = await app.ConversationAsync(tenant.Id, "Ana López", "Hola", whatsapp, customerId: "5215512345678");
        var onMessenger = await app.ConversationAsync(tenant.Id, "Ana", "Hola desde Facebook", messenger, customerId: "psid-ana");
        var survivorId = onWhatsApp.ContactId;
        var duplicateId = onMessenger.ContactId;
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var survivor = await work.Db.Contacts.SingleAsync(c => c.Id == survivorId);
            survivor.SetField("ciudad", "CDMX");
            survivor.SetField("tratamiento", "");
            var duplicate = await work.Db.Contacts.SingleAsync(c => c.Id == duplicateId);
            duplicate.UpdateProfile(null, "ana@example.com", "Dental Ana");
            duplicate.SetField("ciudad", "Puebla");
            duplicate.SetField("tratamiento", "Ortodoncia");
            duplicate.SetScore(75, "interested +10", Now);
            var resourceId = (await app.Services.GetRequiredService<OperatorConsole.Infrastructure.Appointments.AppointmentCommands>()
                .AvailabilityAsync(tenant.Id, CancellationToken.None)).Resources.Single(r => r.IsDefault).Id;
            work.Db.Appointments.Add(Appointment.Book(tenant.Id, duplicateId, resourceId, onMessenger.Id, Now.AddDays(2), TimeSpan.FromMinutes(30), "Ana", null, null, Now));
            work.Db.PaymentLinks.Add(PaymentLink.Create(tenant.Id, duplicateId, onMessenger.Id, "Limpieza", 650, "MXN", Now));
            work.Db.ConversationEvents.Add(ConversationEvent.Record(onMessenger, ConversationEventType.Note, null, "Prefiere las tardes", null, Now));
            await work.Db.SaveChangesAsync();
        }

        await using (var work = app.Scopes.ForTenant(tenant.Id))
            await LeadCommands.MergeAsync(work.Db, survivorId, duplicateId, "test", Now);

        await using var read = app.Scopes.ForTenant(tenant.Id);
        var merged = await read.Db.Contacts.AsNoTracking().Include(c => c.Identities).SingleAsync(c => c.Id == survivorId);
        Assert.False(await read.Db.Contacts.AnyAsync(c => c.Id == duplicateId));
        Assert.Equal("Ana López", merged.Name);
        Assert.Equal(("ana@example.com", "Dental Ana"), (merged.Email, merged.Company));
        Assert.Equal("CDMX", merged.Fields["ciudad"]);
        Assert.Equal("Ortodoncia", merged.Fields["tratamiento"]);
        Assert.Equal(["psid-ana", "5215512345678"], merged.Identities.Select(i => i.Value).Order().Reverse());
        Assert.Equal(2, await read.Db.Conversations.CountAsync(c => c.ContactId == survivorId));
        Assert.Equal(2, await read.Db.Messages.CountAsync(m => m.ConversationId == onWhatsApp.Id || m.ConversationId == onMessenger.Id));
        Assert.Equal(1, await read.Db.Appointments.CountAsync(a => a.ContactId == survivorId));
        Assert.Equal(1, await read.Db.PaymentLinks.CountAsync(p => p.ContactId == survivorId));
        Assert.Equal(1, await read.Db.ConversationEvents.CountAsync(e => e.ConversationId == onMessenger.Id && e.Type == ConversationEventType.Note));
        Assert.Equal(1, await read.Db.LeadScoreChanges.CountAsync(s => s.ContactId == survivorId));
        var trace = await LeadCommands.FindMergeAsync(read.Db, duplicateId);
        Assert.Equal((survivorId, "Ana"), (trace!.SurvivorId, trace.MergedName));
    }

    [Fact]
    public async Task Two_operators_merging_the_same_pair_at_once_merge_it_once()
    {
        var tenant = await app.TenantAsync();
        var a = await app.ConversationAsync(tenant.Id, "Ana");
        var b = await app.ConversationAsync(tenant.Id, "Ana bis");

        async Task<bool> MergeAsync(Guid survivor, Guid duplicate)
        {
            await using var work = app.Scopes.ForTenant(tenant.Id);
            try
            {
                await LeadCommands.MergeAsync(work.Db, survivor, duplicate, "test", Now);
                return true;
            }
            catch (DomainException ex) when (ex.Code == "lead.merge_gone")
            {
                return false;
            }
        }

        var results = await Task.WhenAll(MergeAsync(a.ContactId, b.ContactId), MergeAsync(b.ContactId, a.ContactId));
        Assert.Single(results, r => r);
        await using var read = app.Scopes.ForTenant(tenant.Id);
        var left = Assert.Single(await read.Db.Contacts.AsNoTracking().ToListAsync());
        Assert.Equal(2, await read.Db.Conversations.CountAsync(c => c.ContactId == left.Id));
    }

    [Fact]
    public async Task A_lead_of_another_tenant_can_be_neither_edited_nor_merged()
    {
        var mine = await app.TenantAsync();
        var theirs = await app.TenantAsync();
        var own = await app.ConversationAsync(mine.Id, "Ana");
        var foreign = await app.ConversationAsync(theirs.Id, "Secreto");
        await using (var work = app.Scopes.ForTenant(mine.Id))
        {
            Assert.Equal("lead.merge_gone", (await Assert.ThrowsAsync<DomainException>(() =>
                LeadCommands.MergeAsync(work.Db, own.ContactId, foreign.ContactId, "test", Now))).Code);
            Assert.Equal("lead.not_found", (await Assert.ThrowsAsync<DomainException>(() =>
                LeadCommands.EditFieldAsync(work.Db, foreign.ContactId, "name", "Robado"))).Code);
        }
        var untouched = await ReloadAsync(theirs.Id, foreign.ContactId);
        Assert.Equal("Secreto", untouched.Name);
        Assert.Equal(1, await CountConversationsAsync(theirs.Id, foreign.ContactId));
    }

    private async Task<int> CountConversationsAsync(Guid tenant, Guid contact)
    {
        await using var work = app.Scopes.ForTenant(tenant);
        return await work.Db.Conversations.CountAsync(c => c.ContactId == contact);
    }
}
