package chat

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/rules"
)

// FollowStore is what follow, unfollow and following need of the store;
// *store.Store satisfies it.
type FollowStore interface {
	AddFollow(ctx context.Context, f model.Follow) (added bool, err error)
	RemoveFollow(ctx context.Context, destination string, kind model.FollowKind, value string) (removed bool, err error)
	Follows(ctx context.Context, destination string) ([]model.Follow, error)
}

const maxFollows = 50

func (r *Router) followStore() (FollowStore, bool) {
	fs, ok := r.q.(FollowStore)
	return fs, ok
}

// directDestination is where the asker's own alerts go: their direct
// messages (the Slack DM the bot opens, the Matrix DM room it finds or
// creates), or the console in the terminal.
func directDestination(req Request) (string, bool) {
	switch req.Platform {
	case "console":
		return "console", true
	case "slack":
		if req.User == "" || strings.ContainsAny(req.User, " :@") {
			return "", false
		}
		return "slack:@" + req.User, true
	case "matrix":
		if !strings.HasPrefix(req.User, "@") || !strings.Contains(req.User, ":") {
			return "", false
		}
		return "matrix:" + req.User, true
	}
	return "", false
}

// parseFollow reads what to follow: proposer:<words>, an ITU document
// number (kept without revision and language, so every version matches),
// or words.
func parseFollow(text string) (model.Follow, error) {
	text = strings.TrimSpace(text)
	if arg, _, quoted := firstArg(text); quoted {
		text = arg
	}
	if who, ok := strings.CutPrefix(text, "proposer:"); ok {
		who = strings.TrimSpace(who)
		// A Member State, regional group or official is followed by its
		// canonical name, so "Russia" and "Russian Federation" are one follow.
		if name, _, known := itudoc.ProposerName(who); known {
			return model.Follow{Kind: model.FollowProposer, Value: name}, nil
		}
		if err := rules.CheckPhrase(who); err != nil {
			return model.Follow{}, err
		}
		return model.Follow{Kind: model.FollowProposer, Value: who}, nil
	}
	if ref, ok := itudoc.Parse(text); ok && ref.Number != "" {
		return model.Follow{Kind: model.FollowDocument, Value: ref.Number}, nil
	}
	if err := rules.CheckPhrase(text); err != nil {
		return model.Follow{}, err
	}
	return model.Follow{Kind: model.FollowWords, Value: strings.ToLower(text)}, nil
}

func followLabel(f model.Follow) string {
	switch f.Kind {
	case model.FollowDocument:
		return "document " + f.Value + " (every revision and language)"
	case model.FollowProposer:
		return "proposals by " + strconv.Quote(f.Value)
	}
	return "the words " + strconv.Quote(f.Value)
}

func followArg(f model.Follow) string {
	switch f.Kind {
	case model.FollowProposer:
		return "proposer:" + f.Value
	case model.FollowWords:
		if strings.Contains(f.Value, " ") {
			return strconv.Quote(f.Value)
		}
	}
	return f.Value
}

func (r *Router) follow(ctx context.Context, req Request, args []string) Reply {
	fs, ok := r.followStore()
	if !ok {
		return notAvailable("Following")
	}
	if len(args) == 0 {
		return usageError("follow needs words, an ITU document number or proposer:<name>.", `follow C26/51, follow "digital sovereignty", follow proposer:Russian Federation`)
	}
	dest, ok := directDestination(req)
	if !ok {
		return Reply{Title: "I can't tell who you are on this platform, so I can't send you direct messages.", Error: true}
	}
	f, err := parseFollow(strings.Join(args, " "))
	if err != nil {
		return usageError("I can't follow that: "+err.Error()+".", `follow C26/51 or follow "new ip"`)
	}
	f.Destination = dest
	have, err := fs.Follows(ctx, dest)
	if err != nil {
		return r.failed(ctx, "follow", err)
	}
	if len(have) >= maxFollows {
		return Reply{Title: fmt.Sprintf("You already follow %d things, the most one person can; unfollow some first.", len(have)), Footer: "following lists them", Error: true}
	}
	added, err := fs.AddFollow(ctx, f)
	if err != nil {
		return r.failed(ctx, "follow", err)
	}
	if !added {
		return Reply{Title: "You already follow " + followLabel(f) + "."}
	}
	r.log.Info("follow added", "user", req.User, "kind", f.Kind)
	where := "by direct message"
	if req.Platform == "console" {
		where = "on this console"
	}
	note := "matched like topic phrases: whole words, case and hyphens ignored"
	switch f.Kind {
	case model.FollowDocument:
		note = "documents with this number, and items that name it in their title"
	case model.FollowProposer:
		note = "documents whose proposers, or items whose authors, contain these words"
		if _, _, known := itudoc.ProposerName(f.Value); known {
			note = "documents proposed by " + f.Value + ", however the listing writes the name"
		}
	}
	return Reply{
		Title:  "You now follow " + followLabel(f) + "; new items and updates come to you " + where + ".",
		Lines:  []ReplyLine{{Text: render.Clip(followArg(f), render.MaxShortRunes*2), Note: note}},
		Footer: "unfollow " + followArg(f) + " stops it · following lists what you follow",
	}
}

func (r *Router) unfollow(ctx context.Context, req Request, args []string) Reply {
	fs, ok := r.followStore()
	if !ok {
		return notAvailable("Following")
	}
	if len(args) == 0 {
		return usageError("unfollow needs what you follow; following lists it.", "unfollow C26/51")
	}
	dest, ok := directDestination(req)
	if !ok {
		return Reply{Title: "I can't tell who you are on this platform.", Error: true}
	}
	f, err := parseFollow(strings.Join(args, " "))
	if err != nil {
		return usageError("I can't tell what to unfollow: "+err.Error()+".", "following")
	}
	removed, err := fs.RemoveFollow(ctx, dest, f.Kind, f.Value)
	if err != nil {
		return r.failed(ctx, "unfollow", err)
	}
	if !removed {
		return Reply{Title: "You don't follow " + followLabel(f) + ".", Footer: "following lists what you follow"}
	}
	return Reply{Title: "You no longer follow " + followLabel(f) + "."}
}

func (r *Router) following(ctx context.Context, req Request, _ []string) Reply {
	fs, ok := r.followStore()
	if !ok {
		return notAvailable("Following")
	}
	dest, ok := directDestination(req)
	if !ok {
		return Reply{Title: "I can't tell who you are on this platform.", Error: true}
	}
	follows, err := fs.Follows(ctx, dest)
	if err != nil {
		return r.failed(ctx, "following", err)
	}
	if len(follows) == 0 {
		return Reply{Title: "You follow nothing yet.", Footer: `follow C26/51, follow "new ip" or follow proposer:<name>`}
	}
	reply := Reply{Title: "You follow:"}
	for _, f := range follows {
		reply.Lines = append(reply.Lines, ReplyLine{Text: render.Clip(followLabel(f), render.MaxShortRunes*2), Note: "unfollow " + render.Clip(followArg(f), render.MaxShortRunes)})
	}
	return reply
}
