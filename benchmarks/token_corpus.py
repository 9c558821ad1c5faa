"""A varied, offline, deterministic text corpus for evaluating the token estimator.

``build_corpus(n, seed)`` returns ``n`` records (``Record(kind, text)``) of realistic
fine-tuning-sample sizes (200-8000 characters, log-uniform), spread evenly over the kinds
in :data:`KINDS`.  Nothing is downloaded: the material comes from

* the running interpreter's standard-library directory (Python source for ``code``;
  docstrings, ``pydoc_data`` topics and ``LICENSE.txt`` for English prose), and
* text generated here from sentence pools written for this corpus (dialogue, Spanish /
  French / German, Chinese / Japanese, emoji chat, tables, logs, JSON, HTML, YAML ...).

If the standard-library files cannot be read (a stripped-down runtime), every kind falls
back to generated text, so the corpus always builds.  The same interpreter + seed always
gives the same corpus; a different Python version gives a slightly different one.

``OTHER_KINDS`` (Cyrillic, Greek, Hangul, Arabic, Hebrew, Devanagari, Thai, Polish,
Turkish, Vietnamese) are not part of the estimator's accuracy target;
``build_corpus(..., kinds=ALL_KINDS)`` includes them for information.
"""

from __future__ import annotations

import ast
import base64
import json
import math
import random
import re
import sysconfig
import textwrap
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "ALL_KINDS",
    "KINDS",
    "MAX_CHARS",
    "MIN_CHARS",
    "OTHER_KINDS",
    "Record",
    "build_corpus",
]

KINDS: tuple[str, ...] = (
    "prose",
    "dialogue",
    "code",
    "json_markup",
    "numbers",
    "european",
    "cjk",
    "emoji",
    "mixed",
)
OTHER_KINDS: tuple[str, ...] = ("other_scripts",)
ALL_KINDS: tuple[str, ...] = KINDS + OTHER_KINDS

MIN_CHARS = 200
MAX_CHARS = 8000


class Record(NamedTuple):
    kind: str
    text: str


# --------------------------------------------------------------------------------------
# Sentence pools (written for this corpus).
# --------------------------------------------------------------------------------------

ENGLISH = (
    "The morning train was twenty minutes late because of fog along the river valley.",
    "Before you send the report, check that every figure matches the spreadsheet.",
    "Our team moved the old database to a cheaper server over a long weekend.",
    "She keeps her grandmother's recipes in a notebook with a cracked leather cover.",
    "The library now stays open until midnight during the exam season.",
    "If the battery drops below ten percent, the phone switches to power-saving mode.",
    "Neighbours organised a clean-up of the park on Saturday afternoon.",
    "The contract says payment is due no later than thirty days after delivery.",
    "After the storm, the river rose so high that the bridge was closed for two days.",
    "We need a short, polite and clear reply for the customer who complained yesterday.",
    "The exhibition shows unpublished photographs of mountain villages from the 1970s.",
    "Most of the delay came from waiting on approvals rather than from the work itself.",
    "He learned to cook by watching his father and burning a great many onions.",
    "A good summary keeps the main argument and drops the examples.",
    "The committee postponed the vote until the budget numbers were confirmed.",
    "Please remember to water the tomatoes while we are away.",
    "It rained all week, so the children built a fort out of couch cushions.",
    "The new model answers faster, but it still struggles with very long documents.",
    "Small, frequent releases make it easier to find the change that broke something.",
    "The museum offers guided tours in English, Spanish and German.",
    "Honestly, I did not expect the sequel to be better than the original film.",
    "Our quarterly survey suggests that most users want an offline mode.",
    "The bakery on the corner sells out of sourdough before nine o'clock.",
    "When in doubt, write the test first and let it tell you what the code should do.",
    "The hikers reached the summit just as the clouds began to lift.",
    "Shipping is free for orders over fifty dollars within the continental United States.",
    "The doctor suggested walking half an hour a day and drinking more water.",
    "A clear error message saves more time than a clever workaround.",
    "They renovated the old warehouse into apartments, a cafe and a climbing gym.",
    "Remember that the deadline for applications is the last Friday of the month.",
    "The orchestra rehearsed the final movement until the timing felt effortless.",
    "Some of the oldest trees in the forest are more than four hundred years old.",
    "I would rather have a simple tool that works than a powerful one nobody understands.",
    "The airline apologised for the cancellation and rebooked everyone on the next flight.",
    "Try explaining the idea to a friend; if you cannot, you probably do not understand it.",
    "Our support team usually replies within one business day.",
    "The recipe calls for two cups of flour, a pinch of salt and a little patience.",
    "Traffic on the ring road is heavy this evening because of an accident near exit 12.",
    "Writing things down is the cheapest way to stop forgetting them.",
    "The city plans to plant five thousand trees along its busiest streets.",
    "Could you walk me through how the refund process works, step by step?",
    "The quarterly results beat expectations, mostly thanks to strong overseas sales.",
)

QUESTIONS = (
    "How do I reset my password if I no longer have access to my email?",
    "What is the difference between a fixed-rate and a variable-rate mortgage?",
    "Can you summarise the main points of this article in three sentences?",
    "Why does my Python script run slower inside a Docker container?",
    "What should I pack for a four-day hiking trip in the mountains?",
    "Is it safe to eat rice that was left out overnight?",
    "How can I politely decline a meeting invitation from my manager?",
    "Explain the idea of compound interest to a twelve-year-old.",
    "Which is better for a small team: a monorepo or several repositories?",
    "What are some good ways to practise a foreign language every day?",
    "Could you rewrite this paragraph so that it sounds more formal?",
    "How many tokens does a typical English word take?",
    "What causes the seasons on Earth?",
    "Write a short product description for a stainless steel water bottle.",
    "How do I tell whether a dataset has duplicate records?",
    "What is a reasonable learning rate for fine-tuning a large language model?",
    "Give me three ideas for a birthday dinner for someone who does not eat meat.",
    "Why is the sky blue during the day and red at sunset?",
    "What does the error 'connection reset by peer' usually mean?",
    "How should I structure a cover letter for a first job?",
    "Translate 'where is the train station?' into Spanish and French.",
    "What are the pros and cons of working from home?",
    "How do I convert a CSV file to JSON on the command line?",
    "Can you check this email for grammar mistakes before I send it?",
    "What is the capital of Australia, and why is it not Sydney?",
)

SPANISH = (
    "El tren de la mañana llegó con veinte minutos de retraso por culpa de la niebla.",
    "Mi abuela guarda las recetas familiares en una libreta con las tapas desgastadas.",
    "Antes de enviar el informe, revisa que todas las cifras coincidan con la hoja de cálculo.",
    "La biblioteca municipal amplió su horario durante la temporada de exámenes.",
    "¿Podrías explicarme por qué el modelo tarda tanto en responder a preguntas largas?",
    "Los vecinos organizaron una limpieza del parque el sábado por la tarde.",
    "El contrato establece que el pago se realizará en un plazo máximo de treinta días.",
    "Después de la tormenta, el río creció tanto que cortaron el puente durante dos días.",
    "Necesitamos una respuesta clara, breve y educada para el cliente que reclamó ayer.",
    "La exposición reúne fotografías inéditas de pueblos de montaña de hace medio siglo.",
    "Si la batería baja del diez por ciento, el teléfono activa el modo de ahorro.",
    "El equipo decidió migrar la base de datos a un servidor más moderno y económico.",
    "Cada mañana compro pan recién hecho en la panadería de la esquina.",
    "¿Cuál es la diferencia entre un préstamo con interés fijo y uno con interés variable?",
    "La profesora pidió a los alumnos un ensayo sobre la energía solar.",
    "El médico recomendó caminar media hora al día y beber más agua.",
    "Tras varias pruebas, el algoritmo mejoró su precisión en un cuatro por ciento.",
    "Las entradas para el concierto se agotaron en menos de una hora.",
    "Por favor, confirme su asistencia antes del viernes respondiendo a este correo.",
    "La cosecha de aceitunas fue escasa este año debido a la sequía prolongada.",
    "Mi hermano aprendió a programar viendo tutoriales y resolviendo ejercicios sencillos.",
    "La reunión se pospuso porque la mitad del equipo estaba de vacaciones.",
    "Es importante leer la letra pequeña antes de firmar cualquier documento.",
    "El pequeño restaurante del puerto sirve el mejor pescado a la plancha de la costa.",
    "Según el pronóstico, mañana habrá chubascos débiles y temperaturas más suaves.",
    "Guardé una copia de seguridad de las fotos en un disco externo, por si acaso.",
    "La empresa lanzará una versión gratuita de la aplicación a finales de otoño.",
    "¿Dónde dejaste las llaves del coche? No las encuentro por ninguna parte.",
    "Aunque el camino era largo, el paisaje hizo que el viaje pareciera corto.",
    "Resume el siguiente texto en tres frases, sin perder los datos importantes.",
)

FRENCH = (
    "Le marché du dimanche attire des producteurs venus de toute la région.",
    "Avant de partir, n'oublie pas de fermer les volets et d'arroser les plantes.",
    "Le rapport annuel montre une hausse régulière des ventes en ligne.",
    "Pourriez-vous m'indiquer le chemin le plus court pour rejoindre la gare ?",
    "Les élèves ont préparé une pièce de théâtre pour la fête de fin d'année.",
    "La boulangerie du quartier ferme exceptionnellement ce mercredi.",
    "Il faut vérifier que chaque champ du formulaire est correctement rempli.",
    "Depuis qu'il fait du vélo tous les matins, il se sent beaucoup plus énergique.",
    "La conférence a été reportée à cause d'une grève des transports.",
    "Ce logiciel permet de traduire des documents techniques en quelques secondes.",
    "Nous avons passé une semaine au bord de la mer, loin des écrans.",
    "Quelle est la meilleure façon d'apprendre rapidement une langue étrangère ?",
    "Le musée présente une collection impressionnante de peintures impressionnistes.",
    "Les résultats de l'expérience confirment l'hypothèse de départ.",
    "Elle a réservé une table pour six personnes dans un petit bistrot près du canal.",
    "Le chauffage collectif sera coupé pendant les travaux de rénovation.",
    "Merci de bien vouloir nous faire parvenir votre facture avant la fin du mois.",
    "La forêt était si calme qu'on entendait seulement le chant des oiseaux.",
    "L'équipe d'assistance répond généralement en moins de vingt-quatre heures.",
    "Mon voisin collectionne les vieux disques de jazz depuis son adolescence.",
    "Les prix de l'immobilier ont légèrement baissé au cours du dernier trimestre.",
    "Cette recette de tarte aux pommes est simple, rapide et délicieuse.",
    "Le train à grande vitesse relie les deux villes en moins de trois heures.",
    "Il est recommandé de changer son mot de passe tous les six mois.",
    "La bibliothèque propose des ateliers d'écriture le samedi matin.",
    "Après une longue négociation, les deux entreprises ont signé l'accord.",
    "Le vent s'est levé soudainement et la pluie a commencé à tomber.",
    "Pouvez-vous résumer ce texte en trois phrases claires et précises ?",
    "Les enfants ont construit une cabane au fond du jardin.",
    "Le nouveau modèle consomme moins d'énergie tout en restant très performant.",
)

GERMAN = (
    "Der Zug nach München fährt heute ausnahmsweise von Gleis sieben ab.",
    "Bitte schicken Sie mir die unterschriebene Vereinbarung bis Donnerstag zurück.",
    "Im Herbst sammeln die Kinder Kastanien und bunte Blätter im Stadtpark.",
    "Die Software prüft jede Datei automatisch, bevor sie hochgeladen wird.",
    "Könnten Sie mir erklären, wie die Rückerstattung genau funktioniert?",
    "Unsere Nachbarn haben im Garten ein kleines Gewächshaus gebaut.",
    "Die Temperaturen sinken in der Nacht auf bis zu minus fünf Grad.",
    "Nach dem Umzug mussten wir zuerst die Küche vollständig einrichten.",
    "Das Unternehmen investiert stärker in erneuerbare Energien und Weiterbildung.",
    "Wegen Bauarbeiten ist die Hauptstraße bis Ende des Monats gesperrt.",
    "Meine Großmutter erzählt gern Geschichten aus ihrer Jugend auf dem Land.",
    "Die Ergebnisse der Umfrage werden nächste Woche veröffentlicht.",
    "Vergiss nicht, den Regenschirm mitzunehmen, es soll später gewittern.",
    "Der Vortrag über künstliche Intelligenz war gut besucht und sehr anschaulich.",
    "Für die Bewerbung benötigen wir einen Lebenslauf und zwei Referenzen.",
    "Das Museum ist montags geschlossen, an allen anderen Tagen aber geöffnet.",
    "Die Mannschaft hat das Spiel in der letzten Minute noch gewonnen.",
    "Welche Unterlagen brauche ich, um einen neuen Reisepass zu beantragen?",
    "Der Bäcker an der Ecke backt jeden Morgen frische Brötchen.",
    "Die Datenbank wurde erfolgreich auf die neue Version aktualisiert.",
    "Im Sommer verbringen wir gern ein paar Tage an einem ruhigen See.",
    "Die Rechnung enthält einen Fehler, den wir sofort korrigieren werden.",
    "Er übt jeden Abend eine halbe Stunde Klavier, um besser zu werden.",
    "Die Bibliothek bietet kostenlose Sprachkurse für Erwachsene an.",
    "Aufgrund der hohen Nachfrage verlängern wir das Angebot um eine Woche.",
    "Der Arzt empfahl ihr, mehr zu schlafen und weniger Kaffee zu trinken.",
    "Zwischen den Bergen liegt ein kleines Dorf mit einer alten Kirche.",
    "Fassen Sie den folgenden Abschnitt bitte in zwei Sätzen zusammen.",
    "Die Lieferung verzögert sich leider um einige Tage.",
    "Straßenbahnen und Fahrräder prägen das Bild der Innenstadt.",
)

CHINESE = (
    "今天早上下了一场小雨，空气变得格外清新。",
    "请在周五之前把项目进度报告发给我。",
    "这家餐厅的招牌菜是红烧肉和清蒸鱼。",
    "我们计划在假期去云南旅行，看看那里的山水风光。",
    "这个模型在处理长文本时速度明显变慢了。",
    "图书馆新开了一个安静的自习区，很受学生欢迎。",
    "你能帮我解释一下这段代码为什么会报错吗？",
    "由于天气原因，今天的航班推迟了两个小时。",
    "他每天坚持跑步五公里，身体越来越好。",
    "公司决定明年扩大在东南亚市场的业务。",
    "这本小说讲述了一个家庭三代人的故事。",
    "请注意，会议地点改到了三楼的大会议室。",
    "孩子们在公园里放风筝，笑声不断。",
    "新版本修复了多个已知问题，并提升了稳定性。",
    "学习一门外语最重要的是坚持和多练习。",
    "超市周末有促销活动，水果打八折。",
    "根据最新统计，城市人口比去年增长了百分之三。",
    "我忘了带钥匙，只好在门口等家人回来。",
    "这座古老的桥已经有四百多年的历史了。",
    "客户对我们的服务提出了一些宝贵的建议。",
    "春节期间，火车票非常紧张，需要提前购买。",
    "医生建议他少吃油腻的食物，多喝水。",
    "请把这段文字翻译成英文，保持原意不变。",
    "博物馆里展出了许多珍贵的青铜器。",
    "晚饭后我们常常一起在河边散步。",
    "这款手机的电池续航时间比上一代更长。",
    "老师鼓励学生们大胆提出自己的问题。",
    "数据备份完成后，系统会自动发送通知。",
    "山顶的风景非常壮观，值得一看。",
    "如果你有任何疑问，请随时联系我们的客服。",
)

JAPANESE = (
    "今朝は雨が降っていたので、駅までバスで行きました。",
    "来週の会議の資料を金曜日までに準備してください。",
    "この店のラーメンはスープが濃くてとてもおいしいです。",
    "夏休みには家族で北海道へ旅行する予定です。",
    "このプログラムがエラーになる理由を教えていただけますか。",
    "図書館は月曜日が休館日なので注意してください。",
    "新しいバージョンでは、動作が以前より軽くなりました。",
    "彼は毎朝六時に起きて、近所の公園を散歩しています。",
    "台風の影響で、電車のダイヤが大きく乱れています。",
    "日本語を勉強して三年になりますが、敬語はまだ難しいです。",
    "お問い合わせいただいた件について、担当者から改めてご連絡します。",
    "桜の季節になると、公園は花見の客でいっぱいになります。",
    "このデータを表にまとめて、グラフも作成してください。",
    "駅前に新しいカフェができたので、今度一緒に行きましょう。",
    "申し訳ありませんが、その商品は現在在庫切れです。",
    "子どもたちは川で魚を捕まえて遊んでいました。",
    "明日の天気は晴れのち曇りで、気温は少し下がるそうです。",
    "会社の近くにおいしいお弁当屋さんがあります。",
    "報告書の誤字を直してから、もう一度送ってください。",
    "週末は部屋の掃除をして、本棚を整理しました。",
    "この町には江戸時代から続く古い旅館があります。",
    "パスワードは定期的に変更することをおすすめします。",
    "彼女はピアノを弾くのが上手で、よく演奏会に出ています。",
    "次の文章を三行で要約してください。",
    "山の上から見た夜景は本当にきれいでした。",
    "荷物の配達は明後日の午前中になる予定です。",
    "新人研修では、ビジネスマナーについて学びます。",
    "ご不明な点がございましたら、お気軽にお問い合わせください。",
    "昨日の試合は延長戦の末に勝ちました。",
    "コーヒーを飲みながら、ゆっくり本を読むのが好きです。",
)

OTHER_SCRIPTS: dict[str, tuple[str, ...]] = {
    "ru": (
        "Утром мы отправились на вокзал, чтобы успеть на первый поезд.",
        "Пожалуйста, проверьте отчёт перед отправкой клиенту.",
        "В этом году урожай яблок оказался необычно богатым.",
        "Библиотека работает до девяти вечера по будним дням.",
        "Объясните, пожалуйста, почему программа выдаёт ошибку.",
        "Зимой озеро замерзает, и дети катаются на коньках.",
        "Новая версия приложения работает быстрее и потребляет меньше памяти.",
        "Мы договорились встретиться у входа в музей в полдень.",
    ),
    "el": (
        "Το τρένο έφτασε στον σταθμό με μισή ώρα καθυστέρηση.",
        "Παρακαλώ στείλτε μου την αναφορά μέχρι την Παρασκευή.",
        "Η βιβλιοθήκη είναι κλειστή κάθε Δευτέρα.",
        "Μπορείτε να μου εξηγήσετε γιατί εμφανίζεται αυτό το σφάλμα;",
        "Το καλοκαίρι πηγαίνουμε συχνά στη θάλασσα.",
        "Η νέα έκδοση είναι πιο γρήγορη και πιο σταθερή.",
    ),
    "ko": (
        "오늘 아침에는 비가 와서 버스를 타고 출근했습니다.",
        "다음 주 회의 자료를 금요일까지 준비해 주세요.",
        "이 식당의 김치찌개는 정말 맛있어요.",
        "주말에는 가족과 함께 공원에서 산책을 했습니다.",
        "이 코드가 왜 오류를 내는지 설명해 주실 수 있나요?",
        "새 버전에서는 속도가 훨씬 빨라졌습니다.",
        "도서관은 월요일마다 휴관합니다.",
        "궁금한 점이 있으시면 언제든지 연락 주세요.",
    ),
    "ar": (
        "وصل القطار إلى المحطة متأخرا بسبب الأمطار الغزيرة.",
        "يرجى إرسال التقرير النهائي قبل نهاية الأسبوع.",
        "تفتح المكتبة أبوابها من الساعة التاسعة صباحا.",
        "هل يمكنك أن تشرح لي سبب هذا الخطأ في البرنامج؟",
        "ذهبنا إلى السوق لشراء الخضار والفواكه الطازجة.",
        "الإصدار الجديد أسرع ويستهلك طاقة أقل.",
        "يحب جدي أن يروي لنا قصصا عن طفولته.",
        "سنعقد الاجتماع القادم في قاعة الطابق الثاني.",
    ),
    "pl": (
        "Pociąg do Krakowa odjeżdża dziś z peronu trzeciego.",
        "Proszę przesłać raport do piątku rano.",
        "W weekend pojechaliśmy nad jezioro z przyjaciółmi.",
        "Czy możesz wyjaśnić, dlaczego ten program zgłasza błąd?",
        "Nowa wersja aplikacji działa szybciej i zużywa mniej pamięci.",
        "Biblioteka jest zamknięta w każdy poniedziałek.",
    ),
    "tr": (
        "Sabah yağmur yağdığı için işe otobüsle gittim.",
        "Lütfen raporu cuma gününe kadar gönderin.",
        "Bu programın neden hata verdiğini açıklayabilir misiniz?",
        "Yeni sürüm daha hızlı çalışıyor ve daha az bellek kullanıyor.",
        "Kütüphane her pazartesi kapalıdır.",
    ),
    "vi": (
        "Sáng nay trời mưa nên tôi đi làm bằng xe buýt.",
        "Vui lòng gửi báo cáo trước thứ Sáu.",
        "Nhà hàng này có món phở rất ngon.",
        "Bạn có thể giải thích tại sao chương trình này bị lỗi không?",
        "Phiên bản mới chạy nhanh hơn và ổn định hơn.",
        "Thư viện đóng cửa vào thứ Hai hằng tuần.",
    ),
    "he": (
        "הרכבת הגיעה לתחנה באיחור של עשרים דקות.",
        "נא לשלוח את הדוח עד יום שישי.",
        "הספרייה סגורה בכל יום שני.",
        "האם תוכל להסביר למה התוכנית מחזירה שגיאה?",
        "הגרסה החדשה מהירה ויציבה יותר.",
        "בסוף השבוע טיילנו עם המשפחה ליד הים.",
    ),
    "th": (
        "เช้านี้ฝนตก ฉันจึงนั่งรถเมล์ไปทำงาน",
        "กรุณาส่งรายงานภายในวันศุกร์",
        "ร้านอาหารนี้มีต้มยำกุ้งที่อร่อยมาก",
        "คุณช่วยอธิบายได้ไหมว่าทำไมโปรแกรมนี้ถึงมีข้อผิดพลาด",
        "เวอร์ชันใหม่ทำงานเร็วขึ้นและเสถียรกว่าเดิม",
        "ห้องสมุดปิดทุกวันจันทร์",
    ),
    "hi": (
        "आज सुबह बारिश हो रही थी, इसलिए हम देर से निकले।",
        "कृपया शुक्रवार तक रिपोर्ट भेज दीजिए।",
        "इस रेस्टोरेंट का खाना बहुत स्वादिष्ट है।",
        "क्या आप बता सकते हैं कि यह प्रोग्राम त्रुटि क्यों दे रहा है?",
        "बच्चे पार्क में पतंग उड़ा रहे हैं।",
        "नया संस्करण पहले से ज़्यादा तेज़ है।",
        "पुस्तकालय सोमवार को बंद रहता है।",
        "अगर आपको कोई सवाल हो तो हमसे संपर्क करें।",
    ),
}

EMOJI = (
    "😀",
    "😂",
    "🥲",
    "😍",
    "🤔",
    "🙌",
    "👍",
    "👍🏽",
    "🔥",
    "🎉",
    "✨",
    "❤\ufe0f",
    "💡",
    "🚀",
    "✅",
    "❌",
    "⚠\ufe0f",
    "📈",
    "📉",
    "🧪",
    "🐍",
    "☕",
    "🍕",
    "🌧\ufe0f",
    "🌞",
    "🇺🇸",
    "🇯🇵",
    "🇪🇸",
    "🇩🇪",
    "👩\u200d💻",
    "👨\u200d👩\u200d👧",
    "🤷\u200d♂\ufe0f",
    "🙏",
    "💯",
    "😅",
    "😴",
    "🥳",
    "🤖",
    "📦",
    "🔧",
    "🗓\ufe0f",
    "⏰",
    "🏃\u200d♀\ufe0f",
    "🎧",
    "📚",
    "🌍",
    "🫠",
    "🦀",
    "🧵",
    "👀",
    "🤝",
    "💬",
    "📝",
    "🎯",
    "🧠",
    "🍰",
    "🐶",
    "🌈",
)

CHAT_BITS = (
    "lol that meeting could have been an email",
    "shipping the fix tonight, fingers crossed",
    "who broke the build again",
    "coffee first, questions later",
    "happy birthday!! hope you have an amazing day",
    "the demo went better than expected",
    "can't believe it's already Friday",
    "new personal record on the 10k this morning",
    "anyone up for pizza at 7?",
    "tests are green, merging now",
    "this bug took me three days and it was a missing comma",
    "thanks so much for the help yesterday",
    "weather is awful again, staying in",
    "just finished the book you recommended, loved it",
    "deploy is rolling out to eu-west-1",
    "the cat knocked my laptop off the desk again",
)

WORDS = (
    "account",
    "active",
    "address",
    "amount",
    "archive",
    "audit",
    "balance",
    "batch",
    "budget",
    "cache",
    "category",
    "channel",
    "checkout",
    "client",
    "cluster",
    "comment",
    "config",
    "country",
    "coupon",
    "created",
    "currency",
    "customer",
    "dataset",
    "deadline",
    "delivery",
    "description",
    "device",
    "discount",
    "duration",
    "email",
    "enabled",
    "endpoint",
    "event",
    "feature",
    "filter",
    "forecast",
    "gateway",
    "invoice",
    "item",
    "label",
    "language",
    "latency",
    "limit",
    "location",
    "message",
    "metric",
    "model",
    "notes",
    "order",
    "owner",
    "payload",
    "payment",
    "permission",
    "price",
    "priority",
    "product",
    "profile",
    "quantity",
    "queue",
    "rating",
    "region",
    "release",
    "request",
    "retry",
    "revenue",
    "review",
    "role",
    "schedule",
    "score",
    "session",
    "shipment",
    "sku",
    "status",
    "subscription",
    "summary",
    "tags",
    "tenant",
    "threshold",
    "timestamp",
    "title",
    "token",
    "total",
    "tracking",
    "type",
    "updated",
    "user",
    "version",
    "warehouse",
    "weight",
)

NAMES = (
    "Alice Chen",
    "Bruno Silva",
    "Chioma Okafor",
    "Dmitri Volkov",
    "Elena García",
    "Farah Khan",
    "Gustav Lindqvist",
    "Hiro Tanaka",
    "Isabel Moreau",
    "Jamal Wright",
)

CITIES = ("Lisbon", "Osaka", "Denver", "Nairobi", "Toronto", "Lyon", "Hamburg", "Pune")

STATUS_WORDS = ("INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR")
HTTP_PATHS = ("/api/v1/items", "/api/v1/orders", "/login", "/health", "/api/v2/search")


# --------------------------------------------------------------------------------------
# Standard-library material (read lazily, cached; empty when unavailable).
# --------------------------------------------------------------------------------------


def _stdlib_dir() -> Path | None:
    try:
        path = Path(sysconfig.get_paths()["stdlib"])
    except (KeyError, OSError):  # pragma: no cover - exotic runtimes
        return None
    return path if path.is_dir() else None


@lru_cache(maxsize=4)
def _stdlib_sources(max_files: int = 400) -> tuple[str, ...]:
    """Source text of up to ``max_files`` stdlib modules (a fixed, sorted selection)."""
    root = _stdlib_dir()
    if root is None:
        return ()
    files = sorted(
        p
        for p in root.rglob("*.py")
        if "site-packages" not in p.parts and "__pycache__" not in p.parts
    )
    rng = random.Random(7)  # fixed: the selection must not depend on the corpus seed
    picked = files if len(files) <= max_files else rng.sample(files, max_files)
    out = []
    for p in sorted(picked):
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if len(text) >= 1000:
            out.append(text)
    return tuple(out)


_DOCSTRING = re.compile(r'"""(.*?)"""', re.S)
_CODE_CHARS = re.compile(r"[(){}\[\]=_#<>*`|\\]")


@lru_cache(maxsize=1)
def _stdlib_prose() -> tuple[str, ...]:
    """English paragraphs: module docstrings, pydoc topics and the licence text."""
    paragraphs: list[str] = []
    for src in _stdlib_sources():
        for m in _DOCSTRING.finditer(src):
            paragraphs.extend(_paragraphs(textwrap.dedent(m.group(1))))
    root = _stdlib_dir()
    if root is not None:
        for rel in ("pydoc_data/topics.py", "LICENSE.txt"):
            try:
                text = (root / rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if rel.endswith(".py"):
                text = "\n\n".join(_string_literals(text))
            paragraphs.extend(_paragraphs(text))
    # Keep paragraphs that read like prose: mostly letters and spaces, little syntax.
    prose = []
    for p in paragraphs:
        if len(p) < 120:
            continue
        letters = sum(c.isalpha() or c == " " for c in p)
        if letters / len(p) > 0.88 and len(_CODE_CHARS.findall(p)) < len(p) / 150:
            prose.append(p)
    return tuple(prose)


def _string_literals(source: str) -> list[str]:
    """The string constants of a Python module (used for ``pydoc_data/topics.py``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


# --------------------------------------------------------------------------------------
# Generators: each returns text of roughly ``target`` characters.
# --------------------------------------------------------------------------------------


class _Material(NamedTuple):
    prose: tuple[str, ...]  # English paragraphs from the stdlib
    sources: tuple[str, ...]  # Python modules from the stdlib


_NO_MATERIAL = _Material((), ())

Gen = Callable[[random.Random, int, _Material], str]


def _fill(rng: random.Random, target: int, unit: Callable[[], str], sep: str = " ") -> str:
    parts: list[str] = []
    size = 0
    while size < target:
        piece = unit()
        parts.append(piece)
        size += len(piece) + len(sep)
    return _cap(sep.join(parts))


def _cap(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    cut = text.rfind("\n", MAX_CHARS // 2, MAX_CHARS)
    if cut < 0:
        cut = text.rfind(" ", MAX_CHARS // 2, MAX_CHARS)
    return text[: cut if cut > 0 else MAX_CHARS]


def _english_sentence(rng: random.Random, mat: _Material) -> str:
    prose = mat.prose
    if prose and rng.random() < 0.5:
        para = rng.choice(prose)
        sentences = re.split(r"(?<=[.!?])\s+", para)
        start = rng.randrange(len(sentences))
        return " ".join(sentences[start : start + rng.randint(1, 4)])
    return rng.choice(ENGLISH)


def _gen_prose(rng: random.Random, target: int, mat: _Material) -> str:
    prose = mat.prose

    def unit() -> str:
        if prose and rng.random() < 0.6:
            return rng.choice(prose)
        return " ".join(rng.choice(ENGLISH) for _ in range(rng.randint(3, 7)))

    return _fill(rng, target, unit, sep="\n\n")


def _gen_dialogue(rng: random.Random, target: int, mat: _Material) -> str:
    style = rng.randrange(4)
    labels = [("User", "Assistant"), ("Human", "Assistant"), ("Q", "A"), ("Customer", "Agent")][
        style
    ]

    def answer() -> str:
        return " ".join(_english_sentence(rng, mat) for _ in range(rng.randint(1, 5)))

    if rng.random() < 0.25:
        head = f"### Instruction:\n{rng.choice(QUESTIONS)}\n\n### Response:\n"
        return _cap(head + _fill(rng, max(target - len(head), 50), answer, sep="\n\n"))

    def turn() -> str:
        return f"{labels[0]}: {rng.choice(QUESTIONS)}\n{labels[1]}: {answer()}"

    return _fill(rng, target, turn, sep="\n\n")


def _gen_code(rng: random.Random, target: int, mat: _Material) -> str:
    sources = mat.sources
    if not sources:
        return _fill(rng, target, lambda: _synthetic_function(rng), sep="\n\n")
    src = rng.choice(sources)
    lines = src.splitlines(keepends=True)
    start = rng.randrange(max(1, len(lines) - 5))
    out: list[str] = []
    size = 0
    for line in lines[start:]:
        out.append(line)
        size += len(line)
        if size >= target:
            break
    text = "".join(out)
    if len(text) < MIN_CHARS:
        text += "\n\n" + _fill(rng, target - len(text), lambda: _synthetic_function(rng), "\n\n")
    return _cap(text)


def _synthetic_function(rng: random.Random) -> str:
    name = "_".join(rng.sample(WORDS, 2))
    a, b = rng.sample(WORDS, 2)
    n = rng.randint(2, 500)
    return (
        f"def {name}({a}, {b}=None, *, limit={n}):\n"
        f'    """Return the {a} for each {b}, at most {n} of them."""\n'
        f"    result = []\n"
        f"    for i, item in enumerate({a}):\n"
        f"        if i >= limit:\n"
        f"            break\n"
        f"        if {b} is not None and item.get({b!r}) != {b}:\n"
        f"            continue\n"
        f"        result.append({{'index': i, 'value': item}})\n"
        f"    return result\n"
    )


def _json_value(rng: random.Random, depth: int) -> object:
    r = rng.random()
    if depth < 3 and r < 0.25:
        return {rng.choice(WORDS): _json_value(rng, depth + 1) for _ in range(rng.randint(2, 6))}
    if depth < 3 and r < 0.35:
        return [_json_value(rng, depth + 1) for _ in range(rng.randint(1, 5))]
    if r < 0.45:
        return rng.randint(0, 10 ** rng.randint(1, 7))
    if r < 0.52:
        return round(rng.uniform(-1000, 1000), rng.randint(1, 4))
    if r < 0.56:  # full-precision float, as ``json.dumps`` writes them
        return rng.random() * 10 ** rng.randint(0, 3)
    if r < 0.62:
        return rng.choice([True, False, None])
    if r < 0.76:
        return rng.choice(ENGLISH)[: rng.randint(10, 80)]
    if r < 0.82:
        return f"{rng.choice(WORDS)}-{rng.randrange(16**8):08x}"
    return _identifier(rng) if r < 0.94 else rng.choice(NAMES)


def _identifier(rng: random.Random) -> str | int:
    """The opaque strings real records carry: UUIDs, digests, tokens, epoch times."""
    r = rng.random()
    if r < 0.35:
        h = f"{rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
    if r < 0.55:
        return rng.randbytes(rng.choice([20, 32])).hex()
    if r < 0.75:
        return base64.urlsafe_b64encode(rng.randbytes(rng.randint(12, 33))).decode().rstrip("=")
    return 1_700_000_000_000 + rng.randrange(10**11)


def _gen_json_markup(rng: random.Random, target: int, mat: _Material) -> str:
    style = rng.randrange(5)
    if style == 0:
        indent = rng.choice([None, None, 2, 4])
        compact = indent is None and rng.random() < 0.5

        def obj() -> str:
            return json.dumps(
                {w: _json_value(rng, 1) for w in rng.sample(WORDS, rng.randint(3, 9))},
                indent=indent,
                separators=(",", ":") if compact else None,
                ensure_ascii=rng.random() < 0.5,
            )

        return _fill(rng, target, obj, sep="\n")
    if style == 1:

        def row() -> str:
            w = rng.choice(WORDS)
            return (
                f'<div class="{w}-card" data-id="{rng.randrange(10**6)}">\n'
                f"  <h2>{w.title()}</h2>\n"
                f"  <p>{_english_sentence(rng, mat)}</p>\n"
                f'  <a href="https://example.com/{w}/{rng.randrange(999)}">Details</a>\n'
                f"</div>"
            )

        return _cap("<!DOCTYPE html>\n<html>\n<body>\n" + _fill(rng, target, row, "\n"))
    if style == 2:

        def elem() -> str:
            w = rng.choice(WORDS)
            attrs = " ".join(f'{a}="{rng.randrange(1000)}"' for a in rng.sample(WORDS, 2))
            return f"  <{w} {attrs}>{rng.choice(NAMES)}</{w}>"

        return _cap('<?xml version="1.0"?>\n<records>\n' + _fill(rng, target, elem, "\n"))
    if style == 3:

        def block() -> str:
            w = rng.choice(WORDS)
            lines = [f"{w}:"]
            for k in rng.sample(WORDS, rng.randint(2, 5)):
                v = _json_value(rng, 3)
                lines.append(f"  {k}: {json.dumps(v)}")
            return "\n".join(lines)

        return _fill(rng, target, block, "\n")

    def section() -> str:
        w = rng.choice(WORDS).title()
        items = "\n".join(
            f"- **{rng.choice(WORDS)}**: {_english_sentence(rng, mat)}" for _ in range(3)
        )
        return (
            f"## {w}\n\n{_english_sentence(rng, mat)}\n\n{items}\n\n"
            f"See [{w} docs](https://docs.example.org/{w.lower()}#section-{rng.randrange(9)})."
        )

    return _fill(rng, target, section, "\n\n")


def _timestamp(rng: random.Random) -> str:
    return (
        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
        f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}."
        f"{rng.randrange(1000):03d}Z"
    )


def _gen_numbers(rng: random.Random, target: int, mat: _Material) -> str:
    style = rng.randrange(5)
    if style == 4:  # metrics export: epoch milliseconds, full-precision floats, ids

        def sample() -> str:
            return (
                f"{1_700_000_000_000 + rng.randrange(10**10)},host-{rng.randrange(64):02d},"
                f"cpu={rng.random()},mem={rng.random() * 64:.6f},"
                f"trace={rng.getrandbits(64):016x}"
            )

        return _fill(rng, target, sample, "\n")
    if style == 0:  # application log

        def line() -> str:
            return (
                f"{_timestamp(rng)} {rng.choice(STATUS_WORDS)} [worker-{rng.randrange(16)}] "
                f"request_id={rng.randrange(16**12):012x} method={rng.choice(['GET', 'POST'])} "
                f"path={rng.choice(HTTP_PATHS)}/{rng.randrange(100000)} "
                f"status={rng.choice([200, 200, 201, 204, 404, 500])} "
                f"latency_ms={rng.uniform(0.5, 900):.1f} bytes={rng.randrange(50, 90000)} "
                f"ip=10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
            )

        return _fill(rng, target, line, "\n")
    if style == 1:  # CSV table
        cols = rng.sample(WORDS, rng.randint(4, 8))

        def row() -> str:
            cells = []
            for _ in cols:
                r = rng.random()
                if r < 0.4:
                    cells.append(f"{rng.uniform(-500, 5000):.{rng.randint(1, 4)}f}")
                elif r < 0.8:
                    cells.append(str(rng.randrange(10 ** rng.randint(1, 8))))
                else:
                    cells.append(f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
            return ",".join(cells)

        return _cap(",".join(cols) + "\n" + _fill(rng, target, row, "\n"))
    if style == 2:  # markdown table
        cols = rng.sample(WORDS, rng.randint(3, 6))
        head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"

        def mrow() -> str:
            cells = [f"{rng.uniform(0, 100):.2f}" for _ in cols]
            cells[0] = rng.choice(CITIES)
            return "| " + " | ".join(cells) + " |"

        return _cap(head + _fill(rng, target, mrow, "\n"))

    def fin() -> str:  # figures in sentences
        q = rng.randint(1, 4)
        return (
            f"Q{q} {rng.randint(2015, 2025)} revenue was ${rng.uniform(1, 900):,.2f}M "
            f"({rng.uniform(-20, 40):+.1f}% YoY), operating margin {rng.uniform(2, 40):.1f}%, "
            f"{rng.randrange(10**3, 10**7):,} active users and EPS of ${rng.uniform(0, 9):.2f}."
        )

    return _fill(rng, target, fin, " ")


def _gen_european(rng: random.Random, target: int, mat: _Material) -> str:
    pool = rng.choice((SPANISH, FRENCH, GERMAN))

    def para() -> str:
        return " ".join(rng.choice(pool) for _ in range(rng.randint(2, 6)))

    return _fill(rng, target, para, "\n\n")


def _gen_cjk(rng: random.Random, target: int, mat: _Material) -> str:
    pool = rng.choice((CHINESE, JAPANESE))

    def para() -> str:
        text = "".join(rng.choice(pool) for _ in range(rng.randint(2, 6)))
        if rng.random() < 0.2:  # digits / Latin terms are common in real CJK text
            text += f"（{rng.choice(WORDS)} {rng.randrange(2000)}）"
        return text

    # CJK text is ~3 bytes/char: scale the character target down a little.
    return _fill(rng, max(target // 2, MIN_CHARS), para, "\n")


def _gen_emoji(rng: random.Random, target: int, mat: _Material) -> str:
    def msg() -> str:
        bits = [
            rng.choice(CHAT_BITS) if rng.random() < 0.6 else rng.choice(ENGLISH)
            for _ in range(rng.randint(1, 2))
        ]
        text = " ".join(bits)
        reacts = "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
        text = f"{reacts} {text}" if rng.random() < 0.3 else f"{text} {reacts}"
        return f"[{rng.choice(NAMES).split()[0]}] {text}"

    return _fill(rng, target, msg, "\n")


def _gen_other_scripts(rng: random.Random, target: int, mat: _Material) -> str:
    pool = OTHER_SCRIPTS[rng.choice(sorted(OTHER_SCRIPTS))]
    return _fill(rng, target, lambda: rng.choice(pool), " ")


_PURE: dict[str, Gen] = {
    "prose": _gen_prose,
    "dialogue": _gen_dialogue,
    "code": _gen_code,
    "json_markup": _gen_json_markup,
    "numbers": _gen_numbers,
    "european": _gen_european,
    "cjk": _gen_cjk,
    "emoji": _gen_emoji,
    "other_scripts": _gen_other_scripts,
}


def _gen_mixed(rng: random.Random, target: int, mat: _Material) -> str:
    """A realistic mix: an instruction, then 1-3 segments of other kinds."""
    parts = [rng.choice(QUESTIONS)]
    size = len(parts[0])
    kinds = ["prose", "dialogue", "code", "json_markup", "numbers", "european", "cjk", "emoji"]
    while size < target:
        kind = rng.choice(kinds)
        seg = _PURE[kind](rng, max(MIN_CHARS, (target - size) // rng.randint(1, 3)), mat)
        if kind == "code":
            seg = f"```python\n{seg}\n```"
        elif kind == "json_markup":
            seg = f"```\n{seg}\n```"
        parts.append(seg)
        size += len(seg) + 2
    return _cap("\n\n".join(parts))


_GENERATORS: dict[str, Gen] = {**_PURE, "mixed": _gen_mixed}


def _target_size(rng: random.Random) -> int:
    """Log-uniform record size in [MIN_CHARS, MAX_CHARS]."""
    return round(math.exp(rng.uniform(math.log(MIN_CHARS), math.log(MAX_CHARS))))


def build_corpus(
    n_records: int = 1800,
    seed: int = 20240601,
    *,
    kinds: Sequence[str] = KINDS,
    use_stdlib: bool = True,
) -> list[Record]:
    """``n_records`` records, round-robin over ``kinds``, deterministic for a given seed.

    ``use_stdlib=False`` builds everything from the generators (what happens anyway when
    the standard-library files cannot be read).
    """
    unknown = set(kinds) - set(_GENERATORS)
    if unknown:
        raise ValueError(f"unknown kinds: {sorted(unknown)}")
    mat = _Material(_stdlib_prose(), _stdlib_sources()) if use_stdlib else _NO_MATERIAL
    rng = random.Random(seed)
    records = []
    for i in range(n_records):
        kind = kinds[i % len(kinds)]
        text = _GENERATORS[kind](rng, _target_size(rng), mat)
        if len(text) < MIN_CHARS:  # short source chunk: top up with more of the same kind
            text = _cap(text + "\n\n" + _GENERATORS[kind](rng, MIN_CHARS, mat))
        records.append(Record(kind, text))
    return records


if __name__ == "__main__":
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 18
    for rec in build_corpus(n, kinds=ALL_KINDS):
        print(f"=== {rec.kind} ({len(rec.text)} chars)")
        print(rec.text[:400])
