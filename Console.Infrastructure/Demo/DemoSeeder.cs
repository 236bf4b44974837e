using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Demo;

/// <summary>
/// The demo workspace documented in the README: a Spanish-speaking dental clinic with a WhatsApp number
/// (phone_number_id 100000000000001), three users and a few past conversations. Idempotent: skipped when it exists.
/// </summary>
public sealed class DemoSeeder(
    TenantProvisioning provisioning,
    ChannelConnections channels,
    UserManager<ApplicationUser> users,
    ContextScopes scopes,
    Agent.AgentProfiles agentProfiles,
    IOptions<MetaOptions> meta,
    TimeProvider clock,
    ILogger<DemoSeeder> log)
{
    public const string Password = "Demo!2345";
    public const string AdminEmail = "admin@console.local";
    public const string OwnerEmail = "owner@demo.local";
    public const string AgentEmail = "agent@demo.local";
    public const string TenantSlug = "demo";
    public const string SecondTenantSlug = "demo-spa";
    public const string WhatsAppPhoneNumberId = "100000000000001";

    public async Task SeedAsync(CancellationToken ct = default)
    {
        await using (var check = scopes.ForSystem("demo seed check"))
        {
            if (await check.Db.Tenants.AnyAsync(t => t.Slug == TenantSlug, ct)) return;
        }
        log.LogInformation("Seeding the demo workspace");
        var now = clock.GetUtcNow();

        var admin = await EnsureUserAsync(AdminEmail, "Super Admin", "en", now);
        if (!await users.IsInRoleAsync(admin, Roles.SuperAdmin)) await users.AddToRoleAsync(admin, Roles.SuperAdmin);

        // Pro: the demo shows every feature (replay evaluation, outbound webhooks, custom tools) without an upgrade prompt.
        var demo = await provisioning.CreateAsync(
            new NewTenant("Clínica Dental Sonrisa", TenantSlug, Plan.Pro, OwnerEmail, Password, "Olivia Dueñas"), "demo seed", ct);
        await provisioning.CreateAsync(
            new NewTenant("Spa Serena", SecondTenantSlug, Plan.Starter, OwnerEmail, Password), "demo seed", ct);
        var agent = await EnsureUserAsync(AgentEmail, "Andrés Agente", "es", now);

        var appSecret = meta.Value.AppSecret;
        // The demo accounts exist nowhere at Meta: seeded without the ownership proof the connect path requires.
        var whatsapp = await channels.ConnectWithoutProofAsync(demo.Id, new ConnectChannel(ChannelKind.WhatsApp, WhatsAppPhoneNumberId,
            "200000000000001", "WhatsApp Sonrisa", "demo-access-token", appSecret, "demo-verify-token"), "demo seed", ct);
        await channels.ConnectWithoutProofAsync(demo.Id, new ConnectChannel(ChannelKind.Messenger, "300000000000001",
            null, "Facebook Sonrisa", "demo-page-token", appSecret, "demo-verify-token"), "demo seed", ct);

        await using var work = scopes.ForTenant(demo.Id);
        var agentMember = TenantMember.Create(demo.Id, agent.Id, TenantRole.Agent, now);
        work.Db.TenantMembers.Add(agentMember);

        var script = new (string Name, string Phone, string Stage, int Score, ConversationOwner Owner, (MessageSender S, string Text)[] Lines)[]
        {
            ("María González", "5215512345678", "qualified", 78, ConversationOwner.Bot,
            [
                (MessageSender.Contact, "Hola, ¿cuánto cuesta una limpieza dental?"),
                (MessageSender.Bot, "¡Hola María! La limpieza dental cuesta $650 MXN e incluye revisión. ¿Te gustaría agendar una cita?"),
                (MessageSender.Contact, "Sí, ¿tienen algo para este jueves por la tarde?"),
            ]),
            ("Carlos Ramírez", "5215598765432", "booked", 85, ConversationOwner.Unassigned,
            [
                (MessageSender.Contact, "Quiero información sobre ortodoncia invisible para mí y mi esposa"),
                (MessageSender.Bot, "Con gusto, Carlos. El tratamiento de ortodoncia invisible va de $35,000 a $55,000 MXN por persona."),
                (MessageSender.Contact, "Necesito hablar con alguien, tenemos presupuesto y queremos empezar ya"),
            ]),
            ("Lucía Fernández", "5213312345678", "new", 50, ConversationOwner.Human,
            [
                (MessageSender.Contact, "Buenas tardes, ¿aceptan seguro dental?"),
                (MessageSender.Agent, "Hola Lucía, sí aceptamos la mayoría de aseguradoras. ¿Cuál es la tuya?"),
            ]),
            ("Jorge Herrera", "5218112345678", "lost", 22, ConversationOwner.Bot,
            [
                (MessageSender.Contact, "¿Hacen blanqueamiento?"),
                (MessageSender.Bot, "Sí, el blanqueamiento cuesta $2,500 MXN. ¿Quieres agendar una valoración?"),
                (MessageSender.Contact, "Está caro, gracias"),
            ]),
            ("Emily Carter", "14155550123", "contacted", 61, ConversationOwner.Bot,
            [
                (MessageSender.Contact, "Hi! Do you speak English? I need an emergency appointment, my tooth hurts"),
                (MessageSender.Bot, "Hi Emily, yes we do. We have an emergency slot today at 5 pm. Shall I book it for you?"),
            ]),
        };

        var stages = await work.Db.PipelineStages.ToListAsync(ct);
        var minutesAgo = 600;
        foreach (var (name, phone, stage, score, owner, lines) in script)
        {
            var contact = Contact.Create(demo.Id, name, phone, now.AddMinutes(-minutesAgo - 30));
            contact.AddIdentity(whatsapp.Id, IdentityKind.WaId, phone);
            contact.SetScore(score, "demo", now.AddMinutes(-minutesAgo));
            contact.MoveTo(stages.Single(s => s.Key == stage).Id);
            if (score >= 70) { contact.AddTag("VIP"); contact.AssignOwner(agentMember.Id); }
            work.Db.Contacts.Add(contact);
            var conversation = Conversation.Start(demo.Id, whatsapp.Id, contact.Id, now.AddMinutes(-minutesAgo - 30));
            if (owner == ConversationOwner.Unassigned)
                conversation.HandOff(HandoffReason.HighValueLead, HandoffPriority.Urgent, now.AddMinutes(-3));
            if (owner == ConversationOwner.Human) conversation.TakeOver(agentMember.Id);
            work.Db.Conversations.Add(conversation);
            var i = 0;
            foreach (var (sender, text) in lines)
            {
                var at = now.AddMinutes(-minutesAgo + i++ * 2);
                Message message;
                if (sender == MessageSender.Contact)
                {
                    message = Message.Inbound(conversation, $"wamid.demo.{Guid.NewGuid():N}", MessageType.Text, text, null, at, at);
                    conversation.RecordInbound(at, whatsapp.Kind, fromAdReferral: false, text);
                }
                else
                {
                    message = Message.Outbound(conversation, sender, sender == MessageSender.Agent ? agentMember.Id : null,
                        MessageType.Text, text, null, at);
                    message.MarkSent($"wamid.demo.{Guid.NewGuid():N}");
                    message.AdvanceStatus(DeliveryStatus.Read);
                    conversation.RecordOutbound(at, text);
                }
                work.Db.Messages.Add(message);
            }
            minutesAgo = minutesAgo * 2 / 3;
        }
        // Quick replies the clinic's team types as /shortcut, in both languages its customers write in.
        foreach (var (shortcut, text) in new[]
        {
            ("hola", "¡Hola! Gracias por escribir a Clínica Dental Sonrisa. ¿En qué te podemos ayudar?"),
            ("horarios", "Atendemos de lunes a viernes de 9:00 a 18:00 y los sábados de 9:00 a 14:00. Los domingos está cerrado."),
            ("ubicacion", "Estamos en Av. Insurgentes Sur 1234, consultorio 5, colonia Del Valle, Ciudad de México. Hay estacionamiento en la esquina."),
            ("precios", "Limpieza dental $650 MXN · Blanqueamiento $2,500 MXN · Valoración de ortodoncia $500 MXN (se descuenta del tratamiento). ¿Te agendo una cita?"),
            ("cita", "¿Qué día y horario te acomodan? Te confirmo la cita en un momento."),
            ("gracias", "¡Gracias a ti! Cualquier duda, aquí estamos. 😊"),
            ("hello", "Hi! Thanks for writing to Sonrisa Dental Clinic. How can we help you?"),
            ("thanks", "Thank you! If you have any other question, we are here to help. 😊"),
        })
        {
            work.Db.CannedReplies.Add(CannedReply.Create(demo.Id, shortcut, text, now));
        }
        await work.Db.SaveChangesAsync(ct);
        await SeedAgentAsync(work.Db, demo.Id, now, ct);
    }

    /// <summary>The clinic's agent: its own prompt, opening hours, lead fields and a file it can send.</summary>
    private async Task SeedAgentAsync(Data.AppDbContext db, Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        var live = await agentProfiles.GetLiveAsync(db, tenantId, ct);
        await agentProfiles.UpdateLiveAsync(db, tenantId, live.Settings with
        {
            SystemPrompt = "Eres Sofía, la asistente virtual de {{business_name}}, una clínica dental en la Ciudad de México. " +
                           "Atiendes por WhatsApp con calidez y brevedad. Ayudas a resolver dudas de tratamientos y precios, agendas citas " +
                           "de valoración y envías enlaces de pago del anticipo. Horario: {{business_hours}}. Ahora estamos {{is_open}}.",
            Tone = "cálido, profesional, frases cortas, un emoji como máximo",
            BufferSeconds = 3,
            BusinessHours = Domain.Agent.BusinessHours.Typical,
            LeadFields = ["tratamiento", "presupuesto"],
            FewShotExamples = [new Domain.Agent.FewShotExample("¿Cuánto cuesta la limpieza?",
                "La limpieza dental cuesta $650 MXN e incluye revisión 😊 ¿Te agendo una cita?")],
        }, ct);
        foreach (var (title, content) in DemoKnowledge)
            db.KnowledgeDocuments.Add(Domain.Agent.KnowledgeDocument.Create(tenantId, title, content, now));
        db.AgentFiles.Add(Domain.Agent.AgentFile.Create(tenantId, "Lista de precios", "https://example.com/sonrisa/lista-de-precios.pdf",
            "document", "lista-de-precios.pdf", now));
        // The catalogue send_payment_link charges (it never takes an amount from the model).
        foreach (var (name, price) in new[] { ("Limpieza dental", 650m), ("Blanqueamiento", 2500m), ("Valoración de ortodoncia", 500m),
                     ("Anticipo de ortodoncia", 1000m) })
            db.Products.Add(Domain.Agent.Product.Create(tenantId, name, null, price, "MXN", true, now));
        await db.SaveChangesAsync(ct);
    }

    private static readonly (string Title, string Content)[] DemoKnowledge =
    [
        ("Servicios y precios",
            "Limpieza dental (profilaxis): $650 MXN, incluye revisión y diagnóstico.\n\n" +
            "Blanqueamiento dental en consultorio: $2,500 MXN por sesión.\n\n" +
            "Resina (empaste) estética: desde $800 MXN por pieza.\n\n" +
            "Ortodoncia invisible: de $35,000 a $55,000 MXN según el caso; la valoración cuesta $500 MXN y se descuenta del tratamiento.\n\n" +
            "Extracción simple: $900 MXN. Extracción de muela del juicio: desde $2,800 MXN."),
        ("Horario y ubicación",
            "Atendemos de lunes a viernes de 9:00 a 18:00 y sábados de 9:00 a 14:00. Domingos cerrado.\n\n" +
            "Estamos en Av. Insurgentes Sur 1234, consultorio 5, colonia Del Valle, Ciudad de México. Hay estacionamiento en la esquina."),
        ("Citas y cancelaciones",
            "Las citas de valoración duran 30 minutos. Puedes cancelar o cambiar tu cita sin costo hasta 24 horas antes.\n\n" +
            "Si llegas más de 15 minutos tarde, es posible que tengamos que reprogramar. Para urgencias por dolor, tenemos espacios el mismo día."),
        ("Formas de pago",
            "Aceptamos efectivo, tarjetas de débito y crédito, y transferencia. Con tarjetas participantes ofrecemos hasta 6 meses sin intereses " +
            "en tratamientos mayores a $5,000 MXN. El anticipo para agendar ortodoncia es de $1,000 MXN y se paga con enlace de pago."),
        ("Preguntas frecuentes",
            "¿Aceptan seguro dental? Sí, trabajamos con la mayoría de aseguradoras; trae tu póliza a la cita.\n\n" +
            "¿Atienden niños? Sí, desde los 3 años.\n\n" +
            "Do you speak English? Yes, our team can attend you in English."),
    ];

    private async Task<ApplicationUser> EnsureUserAsync(string email, string name, string culture, DateTimeOffset now)
    {
        var user = await users.FindByEmailAsync(email);
        if (user is not null) return user;
        user = new ApplicationUser
        {
            Id = Guid.CreateVersion7(now), UserName = email, Email = email, EmailConfirmed = true, DisplayName = name,
            Culture = culture, CreatedAt = now,
        };
        var result = await users.CreateAsync(user, Password);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join(" ", result.Errors.Select(e => e.Description)));
        return user;
    }
}
