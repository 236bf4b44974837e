#!/usr/bin/env python3
"""Writes the retrieval benchmark's data, deterministically: corpus.json (300 FAQ passages of three fictitious
businesses, half Spanish, half English) and questions.json (200 questions, each with its expected passage: 100 that
use the passage's own words, 100 paraphrased so that they share none of its content words).

Every passage is one item (a service) x one aspect (price, duration, ...) of a business. A literal question names the
item and the aspect with the passage's words; a paraphrase describes the item and asks about the aspect in other words
("que me quiten el sarro" for "limpieza dental", "cobran" for "precio"). The script refuses to write a paraphrase that
shares a content word (same 5-letter stem, accents and case ignored) with its expected passage.

Run: python3 bench/retrieval/make_corpus.py   (rewrites both files; commit them)
"""
import json, os, re, unicodedata

BUSINESSES = [
    ("Clínica Dental Sonrisa", "Sonrisa Dental Clinic", [
        ("la limpieza dental", "dental cleaning", "que me quiten el sarro", "getting tartar scraped off"),
        ("el blanqueamiento dental", "teeth whitening", "aclarar el color de los dientes", "making my yellowish smile brighter"),
        ("la ortodoncia invisible", "clear aligners", "enderezar los dientes chuecos", "straightening crooked teeth"),
        ("el implante dental", "a dental implant", "reponer una pieza que perdí", "replacing a missing tooth"),
        ("la endodoncia", "a root canal", "tratar el nervio infectado de una muela", "treating an infected nerve in a molar"),
        ("la extracción de muela del juicio", "wisdom tooth extraction", "que me saquen la cordal", "having my third molar pulled"),
        ("las carillas de porcelana", "porcelain veneers", "fundas delgadas para el frente", "thin shells for my front teeth"),
        ("la resina estética", "a composite filling", "tapar una caries", "fixing a cavity"),
        ("la odontopediatría", "pediatric dentistry", "una consulta para mi hijo pequeño", "a checkup for my little kid"),
        ("la guarda nocturna", "a night guard", "un protector porque rechino al dormir", "something for grinding while I sleep"),
    ]),
    ("Spa Serena", "Serena Spa", [
        ("el masaje relajante", "a relaxing massage", "una sesión para soltar la tensión de la espalda", "something to ease tension in my back"),
        ("el masaje con piedras calientes", "a hot stone massage", "una terapia con rocas tibias", "therapy with warm rocks"),
        ("el facial hidratante", "a hydrating facial", "un tratamiento para la piel reseca del rostro", "a treatment for dry skin on my face"),
        ("la depilación con cera", "waxing", "quitar el vello de las piernas", "removing leg hair"),
        ("la manicura spa", "a spa manicure", "el arreglo de uñas de las manos", "getting my fingernails done"),
        ("la pedicura", "a pedicure", "el arreglo de los pies", "a foot care treatment"),
        ("la envoltura corporal de chocolate", "a chocolate body wrap", "un tratamiento de cacao para todo el cuerpo", "a cocoa treatment for my whole figure"),
        ("el circuito de hidroterapia", "the hydrotherapy circuit", "las albercas de agua caliente y fría", "the warm and cold pools"),
        ("el masaje prenatal", "a prenatal massage", "una terapia para embarazadas", "a rubdown while pregnant"),
        ("el paquete para parejas", "the couples package", "venir con mi novio", "coming with my boyfriend"),
    ]),
    ("Óptica Visión Clara", "Clear Vision Optics", [
        ("el examen de la vista", "an eye exam", "revisar qué tan bien veo", "checking how well I see"),
        ("los lentes de contacto", "contact lenses", "micas blandas que van sobre el ojo", "soft discs worn on the eyeball"),
        ("los lentes progresivos", "progressive glasses", "anteojos para ver de cerca y de lejos", "specs for near and far sight"),
        ("los armazones de diseñador", "designer frames", "monturas de marca", "branded eyewear rims"),
        ("los lentes de sol graduados", "prescription sunglasses", "gafas oscuras con mi medida", "dark shades matched to my eyesight"),
        ("el ajuste de armazón", "a frame adjustment", "que me acomoden los anteojos flojos", "tightening my loose specs"),
        ("la reparación de lentes", "glasses repair", "arreglar unos anteojos rotos", "fixing broken specs"),
        ("el examen visual para niños", "a children's eye test", "revisar cómo ve mi hijo", "testing my son's sight"),
        ("los lentes con filtro de luz azul", "blue light glasses", "anteojos para la pantalla de la computadora", "specs for staring at screens all day"),
        ("la limpieza ultrasónica de lentes", "ultrasonic lens cleaning", "dejar como nuevos mis anteojos", "making my specs look new again"),
    ]),
]

# (passage es, passage en, literal es, literal en, paraphrase es, paraphrase en); {n} = item, {q} = item paraphrase.
ASPECTS = [
    ("El precio de {n} es de ${p} MXN. Aceptamos tarjeta, efectivo y transferencia.",
     "The price of {n} is ${p} USD. We accept card, cash and bank transfer.",
     "¿Cuál es el precio de {n}?", "What is the price of {n}?",
     "¿Cuánto me cobran por {q}?", "How much do you charge for {q}?"),
    ("Duración de {n}: la sesión dura unos {m} minutos.",
     "Duration of {n}: a session lasts about {m} minutes.",
     "¿Cuánto dura {n}?", "How long does {n} last?",
     "¿Cuánto tiempo me lleva {q}?", "How much of my afternoon will {q} take?"),
    ("Antes de {n}: no coma nada pesado dos horas antes y traiga una identificación.",
     "Before {n}: avoid a heavy meal two hours earlier and bring an ID.",
     "¿Qué hago antes de {n}?", "What should I do before {n}?",
     "¿Qué debo hacer previo a {q}?", "How should I get ready for {q}?"),
    ("Después de {n}: evite el sol y el alcohol durante 24 horas.",
     "After {n}: stay out of the sun and skip alcohol for 24 hours.",
     "¿Qué cuidados hay después de {n}?", "What care is needed after {n}?",
     "¿Qué recomendaciones hay al terminar {q}?", "Any tips once {q} is done?"),
    ("Para agendar {n}, escríbanos por WhatsApp con {d} días de anticipación.",
     "To book {n}, message us on WhatsApp {d} days ahead.",
     "¿Cómo puedo agendar {n}?", "How do I book {n}?",
     "¿Cómo reservo un espacio para {q}?", "How do I reserve a slot for {q}?"),
    ("Cancelaciones de {n}: gratis hasta un día antes; con menos aviso se retiene la mitad del anticipo.",
     "Cancelling {n}: free up to one day before; later notice keeps half the deposit.",
     "¿Puedo cancelar {n}?", "Can I cancel {n}?",
     "¿Y si me arrepiento de {q}?", "What if I need to call off {q}?"),
    ("{N} es apto para mayores de 12 años; avísenos si tiene alguna alergia.",
     "{N} is suitable from age 12; tell us about any allergy.",
     "¿Para quién es apto {n}?", "Who is {n} suitable for?",
     "¿Cualquier persona puede hacerse {q}?", "Can anybody get {q}?"),
    ("{N} no causa dolor; si siente molestia, el especialista ajusta la técnica.",
     "{N} is painless; if anything feels uncomfortable, the specialist adjusts.",
     "¿Causa dolor {n}?", "Is {n} painless?",
     "¿Me va a lastimar {q}?", "Will {q} hurt?"),
    ("Resultados de {n}: visibles desde la primera sesión y se mantienen varios meses.",
     "Results of {n}: visible from the first session and they hold for several months.",
     "¿Cuándo son visibles los resultados de {n}?", "When are the results of {n} visible?",
     "¿Cuándo voy a notar el efecto de {q}?", "When will I notice a difference from {q}?"),
    ("Promoción en {n}: 10 % de descuento pagando en efectivo y hasta 6 meses sin intereses.",
     "Deal on {n}: 10 % off paying cash and up to 6 interest-free monthly installments.",
     "¿Hay alguna promoción en {n}?", "Is there a deal on {n}?",
     "¿Tienen alguna oferta o rebaja en {q}?", "Is there any discount or sale on {q}?"),
]

STOP = set("""a al algo alguna alguno algunas algunos ante antes con contra cual cuales cuando de del desde donde durante e el
ella ellos en entre era es esa ese eso esta este esto estos hay hasta la las le les lo los me mi mis muy mas no nos o os
para pero por que qué quien se sea si sin sobre son su sus te tiene tienen tu tus un una unas uno unos y ya yo va voy
puedo puede debo hago hacer cómo como cual cuál cuánto cuanto cuánta cuanta cuándo
an and any are as at be by can do does for from get how i if in is it its me my of on once or our so some that the their
them then there they this to up us we what when who will with you your about all much should s t""".split())

def norm(word):
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")

def stems(text):
    return {w[:5] for w in re.findall(r"[a-z0-9]+", norm(text)) if w not in {norm(s) for s in STOP} and not w.isdigit()}

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    corpus, questions, problems = [], [], []
    index = 0
    for b, (title_es, title_en, items) in enumerate(BUSINESSES):
        for i, (n_es, n_en, q_es, q_en) in enumerate(items):
            for a, (p_es, p_en, l_es, l_en, x_es, x_en) in enumerate(ASPECTS):
                spanish = (i + a) % 2 == 0
                n = n_es if spanish else n_en
                values = dict(n=n, N=n[0].upper() + n[1:], p=400 + (index * 37) % 4600, m=20 + (index * 7) % 100, d=1 + index % 6)
                text = (p_es if spanish else p_en).format(**values)
                chunk = dict(id=f"c{index:03d}", lang="es" if spanish else "en", title=title_es if spanish else title_en, text=text)
                corpus.append(chunk)
                if index % 3 == 0:
                    questions.append(dict(question=(l_es if spanish else l_en).format(n=n), expected=chunk["id"], kind="literal", lang=chunk["lang"]))
                elif index % 3 == 1:
                    q = (x_es if spanish else x_en).format(q=q_es if spanish else q_en)
                    shared = stems(q) & stems(chunk["title"] + " " + text)
                    if shared: problems.append(f"{chunk['id']}: '{q}' shares {sorted(shared)}")
                    questions.append(dict(question=q, expected=chunk["id"], kind="paraphrase", lang=chunk["lang"]))
                index += 1
    if problems:
        raise SystemExit("Paraphrases sharing words with their passage:\n" + "\n".join(problems))
    assert len(corpus) == 300 and len(questions) == 200, (len(corpus), len(questions))
    for name, data in (("corpus.json", corpus), ("questions.json", questions)):
        with open(os.path.join(here, name), "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.write("\n")
    print(f"{len(corpus)} passages, {len(questions)} questions "
          f"({sum(q['kind'] == 'paraphrase' for q in questions)} paraphrased, {sum(q['lang'] == 'es' for q in questions)} in Spanish)")

main()
