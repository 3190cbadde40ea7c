package rules

import (
	"os"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// The labelled set in the five other languages: each language must reach
// the bar on its own, half of its items being hard negatives.
func TestBuiltinPackLanguages(t *testing.T) {
	e := builtinEngine(t)
	f, err := os.Open("testdata/langs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	corpus, err := ReadCorpus(f)
	if err != nil {
		t.Fatal(err)
	}
	rep := Evaluate(e, corpus)
	for _, l := range []string{"fr", "es", "ru", "ar", "zh"} {
		s, ok := rep.Languages[l]
		if !ok || s.TP+s.FN < 10 {
			t.Errorf("%s: too few labelled items (%+v)", l, s)
			continue
		}
		t.Logf("%s: P=%.2f R=%.2f (tp %d fp %d fn %d)", l, s.Precision, s.Recall, s.TP, s.FP, s.FN)
		if s.Precision < 0.8 || s.Recall < 0.8 {
			t.Errorf("%s: precision %.2f, recall %.2f; want both >= 0.80", l, s.Precision, s.Recall)
		}
	}
	if t.Failed() {
		for _, m := range rep.Mistakes {
			t.Logf("%s %s %s: %s", m.ItemID, m.Kind, m.Topic, m.Title)
		}
	}
}

func builtinEngine(t *testing.T) *Engine {
	t.Helper()
	p, err := LoadPack("builtin:itu")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Each language's core terms fire for each topic, say their language, and
// the traps do not fire.
func TestBuiltinPackLanguageTerms(t *testing.T) {
	e := builtinEngine(t)
	tests := []struct {
		lang, topic, text string
	}{
		{"fr", "mandate-creep", "La Résolution 102 (Rév. Bucarest, 2022) sera révisée."},
		{"es", "mandate-creep", "La Resolución 102 será revisada."},
		{"ru", "mandate-creep", "Резолюции 102 посвящен документ."},
		{"ar", "mandate-creep", "مراجعة القرار 102 (المراجع في بوخارست، 2022)"},
		{"zh", "mandate-creep", "修订第102号决议"},
		{"fr", "new-ip", "L'UIT-T examine un nouveau protocole Internet."},
		{"es", "new-ip", "La UIT examina un nuevo protocolo de Internet."},
		{"ru", "new-ip", "МСЭ обсуждает новый протокол интернета."},
		{"ar", "new-ip", "يناقش الاتحاد الدولي للاتصالات بروتوكول الإنترنت الجديد"},
		{"zh", "new-ip", "国际电联讨论新IP"},
		{"fr", "ott", "L'UIT et les services OTT"},
		{"es", "ott", "La UIT y los servicios OTT"},
		{"ru", "ott", "МСЭ и OTT-услуги"},
		{"ar", "ott", "الاتحاد الدولي للاتصالات وخدمات OTT"},
		{"zh", "ott", "国际电联与OTT业务"},
		{"fr", "ipv6-addressing", "L'UIT et les adresses IPv6"},
		{"es", "ipv6-addressing", "La UIT y las direcciones IPv6"},
		{"ru", "ipv6-addressing", "МСЭ и распределение адресов IPv6"},
		{"ar", "ipv6-addressing", "الاتحاد الدولي للاتصالات وعناوين IPv6"},
		{"zh", "ipv6-addressing", "国际电联与IPv6地址"},
		{"fr", "dns-naming", "L'UIT et les noms de domaine"},
		{"es", "dns-naming", "La UIT y los nombres de dominio"},
		{"ru", "dns-naming", "МСЭ и доменные имена"},
		{"ar", "dns-naming", "الاتحاد الدولي للاتصالات وأسماء الميادين"},
		{"zh", "dns-naming", "国际电联与域名"},
		{"fr", "cybersecurity", "L'UIT et la cybersécurité"},
		{"es", "cybersecurity", "La UIT y la ciberseguridad"},
		{"ru", "cybersecurity", "МСЭ и кибербезопасность"},
		{"ar", "cybersecurity", "الاتحاد الدولي للاتصالات والأمن السيبراني"},
		{"zh", "cybersecurity", "国际电联与网络安全"},
		{"fr", "surveillance", "L'UIT-T et l'inspection approfondie des paquets"},
		{"es", "surveillance", "La UIT-T y la inspección profunda de paquetes"},
		{"ru", "surveillance", "МСЭ-Т и стандарты распознавания лиц"},
		{"ar", "surveillance", "الاتحاد الدولي للاتصالات والتعرف على الوجه"},
		{"zh", "surveillance", "国际电联与人脸识别"},
	}
	for _, tt := range tests {
		ms := e.Match(&model.Item{Content: tt.text})
		var got *model.Match
		for i := range ms {
			if ms[i].Topic == tt.topic {
				got = &ms[i]
			}
		}
		if got == nil {
			t.Errorf("%s %s: %q did not match", tt.lang, tt.topic, tt.text)
			continue
		}
		if got.Language != tt.lang {
			t.Errorf("%s %s: %q matched in language %q", tt.lang, tt.topic, tt.text, got.Language)
		}
	}
	traps := []string{
		"Nouvelle caméra IP et nouveau protocole Internet pour la maison",
		"Plataforma OTT supera un millón de suscriptores",
		"Кибератака на банк: кибербезопасность под вопросом",
		"عطل في نظام أسماء النطاقات",
		"初创企业的新IP，保护知识产权",
		"La résolution de l'écran atteint 102 pouces",
		"أصدر المجلس البلدي القرار 102 بشأن تنظيم الأسواق",
		"The ITU Council discussed Resolution 102.",
	}
	for _, text := range traps {
		for _, m := range e.Match(&model.Item{Content: text}) {
			if m.Language != "" || !containsASCIIOnly(text) {
				t.Errorf("trap %q matched %s (language %q)", text, m.Topic, m.Language)
			}
		}
	}
}

func containsASCIIOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
