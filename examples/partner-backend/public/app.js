/* global document, fetch, setTimeout */
// The example partner page: starts a reconnection through the partner's backend (mx-reconnect/http under
// /mx), follows its view, and asks the user for credentials and MFA answers when the view carries a prompt.
// Labels and options come from MX: always set as text, never as HTML.

const $ = (id) => document.getElementById(id)
let current = null // { memberGuid, promptKey }

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : undefined }
}

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value
    else node.setAttribute(key, value)
  }
  for (const child of children) node.append(child)
  return node
}

async function loadMembers() {
  const { json } = await api('GET', '/api/members')
  const list = $('members')
  list.replaceChildren()
  for (const member of json ?? []) {
    const button = el('button', { text: 'Reconnect', 'data-guid': member.memberGuid })
    button.addEventListener('click', () => void start(member))
    list.append(el('li', {}, [el('span', { text: `${member.name} ` }), button]))
  }
}

async function start(member) {
  current = { memberGuid: member.memberGuid, promptKey: null }
  $('flow').hidden = false
  $('flow-title').textContent = `Reconnecting ${member.name}`
  $('outcome').textContent = ''
  $('error').textContent = ''
  $('step').replaceChildren()
  const { status, json } = await api('POST', '/mx/reconnections', { memberGuid: member.memberGuid })
  if (status !== 200) return void ($('error').textContent = json?.message ?? `error ${status}`)
  render(json)
  void follow(member.memberGuid)
}

/** Re-reads the view until the reconnection is done. */
async function follow(memberGuid) {
  while (current?.memberGuid === memberGuid) {
    const { status, json } = await api('GET', `/mx/reconnections/${encodeURIComponent(memberGuid)}`)
    if (status === 200) render(json)
    if (json?.status === 'done') return
    await new Promise((resolve) => setTimeout(resolve, 400))
  }
}

function render(view) {
  $('status').textContent = view.connectionStatus ?? '…'
  $('state').textContent = view.state
  document.body.dataset.state = view.state
  if (view.outcome) {
    $('step').replaceChildren()
    $('message').textContent = view.outcome.message ?? ''
    $('outcome').textContent = view.outcome.outcome
    document.body.dataset.outcome = view.outcome.outcome
    return
  }
  const prompt = view.prompt
  const key = prompt ? `${prompt.type}:${prompt.attempt ?? prompt.round}` : null
  if (key === current.promptKey) return // same prompt: keep what the user is typing
  current.promptKey = key
  $('step').replaceChildren()
  if (prompt?.type === 'credentials.required') credentialsForm(view.memberGuid, prompt)
  else if (prompt?.type === 'mfa.required') mfaForm(view.memberGuid, prompt)
  else $('step').append(el('p', { class: 'hint', text: 'Working with your bank…' }))
}

function credentialsForm(memberGuid, prompt) {
  const inputs = prompt.fields.map((field) => {
    const input = el('input', {
      type: field.type === 'PASSWORD' ? 'password' : 'text',
      name: field.guid,
      'data-field': field.type ?? '',
      autocomplete: 'off',
    })
    return {
      field,
      input,
      row: el('label', { text: field.label ?? field.fieldName ?? 'Value' }, [el('br'), input]),
    }
  })
  const form = el('form', { id: 'credentials' }, [
    el('p', { text: 'Your bank needs your sign-in details again.' }),
    ...inputs.map((i) => i.row),
    el('p', {}, [el('button', { type: 'submit', text: 'Send' })]),
  ])
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const credentials = inputs.map(({ field, input }) => ({ guid: field.guid, value: input.value }))
    void submit(memberGuid, 'credentials', { credentials })
  })
  $('step').append(form)
}

function mfaForm(memberGuid, prompt) {
  const answers = []
  const rows = prompt.challenges.map((challenge) => {
    const row = el('fieldset', { 'data-challenge': challenge.type }, [
      el('legend', { text: challenge.label ?? 'Answer' }),
    ])
    if (challenge.imageData) {
      const src = challenge.imageData.startsWith('data:')
        ? challenge.imageData
        : `data:image/png;base64,${challenge.imageData}`
      row.append(el('img', { class: 'challenge', src, alt: 'challenge image' }))
    }
    const options = challenge.options ?? challenge.imageOptions ?? []
    if (options.length > 0) {
      for (const option of options) {
        const value = option.value ?? option.guid ?? ''
        const radio = el('input', { type: 'radio', name: challenge.guid, value })
        const label = el('label', {}, [radio, ` ${option.label ?? value}`])
        if (option.dataUri)
          label.append(el('img', { class: 'challenge', src: option.dataUri, alt: option.label ?? '' }))
        row.append(label)
      }
      answers.push(() => ({ guid: challenge.guid, value: row.querySelector('input:checked')?.value ?? '' }))
    } else {
      const input = el('input', { type: 'text', name: challenge.guid, autocomplete: 'off' })
      row.append(input)
      answers.push(() => ({ guid: challenge.guid, value: input.value }))
    }
    return row
  })
  const form = el('form', { id: 'mfa' }, [
    el('p', { text: 'Your bank asks you to confirm it is you.' }),
    ...rows,
    el('p', {}, [el('button', { type: 'submit', text: 'Send' })]),
  ])
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    void submit(memberGuid, 'mfa', { answers: answers.map((answer) => answer()) })
  })
  $('step').append(form)
}

async function submit(memberGuid, kind, body) {
  $('error').textContent = ''
  const { status, json } = await api(
    'POST',
    `/mx/reconnections/${encodeURIComponent(memberGuid)}/${kind}`,
    body,
  )
  if (status === 202) {
    current.promptKey = null
    $('step').replaceChildren(el('p', { class: 'hint', text: 'Sent. Working with your bank…' }))
    return render(json)
  }
  $('error').textContent = json?.message ?? `error ${status}`
}

void loadMembers()
