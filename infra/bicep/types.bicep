// Types shared by the modules.

@export()
@description('Tags every resource carries.')
type resourceTags = {
  @description('Always llmq.')
  application: string

  @description('The environment name (dev, prod).')
  environment: string
}
