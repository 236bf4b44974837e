using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>One failed item of each kind, each as the app's own code leaves it when that work fails, owned by one test's tenant.</summary>
public sealed record SeededFailures(Guid TenantId, Guid Webhook, Guid Turn, Guid Send, Guid OutboundWebhook, Guid Job, Guid Import)
{
    public IEnumerable<(string Kind, Guid Id)> All =>
    [
        ("webhook", Webhook), ("turn", Turn), ("send", Send), ("outbound_webhook", OutboundWebhook), ("job", Job), ("import", Import),
    ];
}

public static class FailedWorkSeed
{
    public static async Task<SeededFailures> EveryKindAsync(ConsoleAppFactory app)
    {
        var tenant = await app.TenantAsync(TestData.Unique("Taller"));
        var now = DateTimeOffset.UtcNow;
        var turnConversation = await app.ConversationAsync(tenant.Id, "Rosa Turnos", "¿tienen cita?");
        var sendConversation = await app.ConversationAsync(tenant.Id, "Pablo Envíos", "hola");
        var jobConversation = await app.ConversationAsync(tenant.Id, "Lucía Tareas", "gracias");

        Guid send, outbound, job, import;
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var db = work.Db;
            // The agent failed its turn three times: the conversation went to people with that reason (TurnPreparer/Handoffs).
            var turn = db.Conversations.Single(c => c.Id == turnConversation.Id);
            turn.HandOff(HandoffReason.RepeatedFailures, HandoffPriority.Urgent, now);
            db.ConversationEvents.Add(ConversationEvent.Record(turn, ConversationEventType.HandedOff, null,
                "RepeatedFailures: the agent turn failed 3 times", null, now));

            var sendConv = db.Conversations.Single(c => c.Id == sendConversation.Id);
            var message = Message.Outbound(sendConv, MessageSender.Agent, null, MessageType.Text, "Su pedido está listo", null, now);
            message.FailSend("131026", "Message undeliverable");
            db.Messages.Add(message);
            send = message.Id;

            var hook = OutboundWebhook.Create(tenant.Id, new Uri("https://hooks.example.test/console"), ["lead.created"],
                app.Services.GetRequiredService<OperatorConsole.Infrastructure.Security.SecretProtector>().Protect("whsec-test"), now);
            var evt = OutboundWebhookEvent.Create(Guid.CreateVersion7(now), tenant.Id, "lead.created", """{"id":"x","type":"lead.created","data":{"name":"Ana"}}""", now);
            var delivery = OutboundWebhookDelivery.Create(tenant.Id, hook.Id, evt, now, TimeSpan.Zero);
            delivery.AttemptFailed(503, "Service Unavailable", now, TimeSpan.FromMinutes(1));
            db.OutboundWebhooks.Add(hook);
            db.OutboundWebhookEvents.Add(evt);
            db.OutboundWebhookDeliveries.Add(delivery);
            outbound = delivery.Id;

            var jobConv = db.Conversations.Single(c => c.Id == jobConversation.Id);
            var item = ScheduledItem.Schedule(jobConv, ScheduledItemKind.Message, now.AddMinutes(5), "Le recuerdo su cita", null, now);
            item.Fail("window_closed", now);
            db.ScheduledItems.Add(item);
            job = item.Id;

            var contacts = ContactImport.Start(tenant.Id, "clientes.csv", new Dictionary<string, string> { ["Nombre"] = "name" }, DuplicatePolicy.Update,
                "MX", 1, "owner@test", now);
            contacts.Fail("The file is not valid UTF-8", now);
            db.ContactImports.Add(contacts);
            db.ContactImportFiles.Add(ContactImportFile.For(contacts, Encoding.UTF8.GetBytes("Nombre\nAna Importada\n")));
            import = contacts.Id;
            await db.SaveChangesAsync();
        }

        Guid webhook;
        await using (var platform = app.Scopes.ForSystem("test seed"))
        {
            var body = Encoding.UTF8.GetBytes("""{"object":"whatsapp_business_account","entry":[{"id":"broken"}]}""");
            var delivery = WebhookDelivery.Receive("whatsapp", tenant.Id, body, Guid.NewGuid().ToString("N"), now);
            delivery.MarkUnparseable("entry[0].changes is missing");
            platform.Db.WebhookDeliveries.Add(delivery);
            await platform.Db.SaveChangesAsync();
            webhook = delivery.Id;
        }
        return new SeededFailures(tenant.Id, webhook, turnConversation.Id, send, outbound, job, import);
    }
}

/// <summary>Super admins a command-center test signs in as.</summary>
public static class CommandCenterAdmins
{
    public const string Password = "Adm1n!Pass-2026";

    /// <summary>A super admin who reads the console in <paramref name="culture"/>; returns the e-mail to sign in with.</summary>
    public static async Task<string> SuperAdminAsync(ConsoleAppFactory app, string culture) => (await app.SuperAdminAsync(culture, Password)).Email;
}
