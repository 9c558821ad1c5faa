# The state docs/cli.md's examples start from, made on the page's local cloud with the same
# commands a person uses (the terminal has run `eval "$(bedrock-tuner local env)"`, which
# sets BEDROCK_TUNER_API_URL: every stack command of the page uses the local cloud):
#   pipelines faq (Titan Text Express, approval above $0.01) and support-bot (the example);
#   support-bot runs: train.jsonl and v2.jsonl approved and registered as versions 1 and 2,
#   v3.jsonl rejected, v4.jsonl and v5.jsonl waiting for approval; a faq run waiting too;
#   the alias support-bot/prod at version 1.

printf 'base_model: amazon.titan-text-express-v1:0:8k\nbudget: {auto_approve_usd: 0.01}\n' > faq.yaml
bedrock-tuner pipelines put faq faq.yaml > /dev/null
bedrock-tuner pipelines put support-bot examples/pipelines/support-bot.yaml > /dev/null
head -n 100 examples/datasets/support-chat.nova.jsonl > v2.jsonl

pending() {  # the run ids waiting for approval, oldest first
  bedrock-tuner approvals list --json | jq -r '.[].runId'
}

upload() {  # upload FILE KEY, then wait for its run's approval request; prints the run id
  local before
  before=$(pending)
  aws s3 cp --quiet "$1" "s3://$BT_BUCKET/$2"
  for _ in $(seq 120); do
    for id in $(pending); do
      if ! grep -qx "$id" <<< "$before"; then echo "$id"; return 0; fi
    done
    sleep 0.5
  done
  echo "no approval request for $2" >&2
  return 1
}

wait_for() {  # wait_for RUN_ID STATUS
  for _ in $(seq 120); do
    status=$(bedrock-tuner runs get "$1" --json | jq -r .status)
    if [ "$status" = "$2" ]; then return 0; fi
    sleep 0.5
  done
  echo "run $1 is $status, not $2" >&2
  return 1
}

first=$(upload examples/datasets/support-chat.nova.jsonl datasets/support-bot/train.jsonl)
bedrock-tuner approvals approve "$first" --reason "first run" > /dev/null
wait_for "$first" SUCCEEDED
second=$(upload v2.jsonl datasets/support-bot/v2.jsonl)
bedrock-tuner approvals approve "$second" --reason "smaller set" > /dev/null
wait_for "$second" SUCCEEDED
third=$(upload examples/datasets/support-chat.nova.jsonl datasets/support-bot/v3.jsonl)
bedrock-tuner approvals reject "$third" --reason "same data as v1" > /dev/null
wait_for "$third" REJECTED
upload examples/datasets/titan.prompt-completion.jsonl datasets/faq/questions.jsonl > /dev/null
upload v2.jsonl datasets/support-bot/v4.jsonl > /dev/null
upload examples/datasets/support-chat.nova.jsonl datasets/support-bot/v5.jsonl > /dev/null
bedrock-tuner promote support-bot prod 1 --reason "first release" > /dev/null
unset first second third status id
